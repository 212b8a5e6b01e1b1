import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { log } from '../log.js';
import { HttpError } from './errors.js';
import type { HttpRequest } from './request.js';
import { type HttpResponse, json } from './response.js';

type Route = (event: HttpRequest, context: Context) => Promise<HttpResponse>;

/**
 * Wraps a route in the middleware every HTTP function shares. The error mapper is the outermost layer:
 * an HttpError becomes its status and field errors; anything else becomes a bare 500 whose details stay in the log.
 */
export function httpHandler(route: Route, options: { onError?: (error: HttpError, event: HttpRequest) => HttpResponse } = {}) {
  return middy<HttpRequest, HttpResponse>().onError(async (request) => {
    const error = request.error;
    if (error instanceof HttpError) {
      request.response = options.onError
        ? options.onError(error, request.event)
        : json(error.statusCode, error.toJSON(), error.headers);
      return;
    }
    log.error('unhandled error', { error, path: request.event.rawPath, requestId: request.context.awsRequestId });
    request.response = json(500, { message: 'Internal error', errors: [] });
  }).handler(route);
}
