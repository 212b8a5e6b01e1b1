import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { log } from '../../util/log.js';
import { type HttpError, toHttpError } from './errors.js';
import type { HttpRequest } from './request.js';
import { type HttpResponse, json } from './response.js';

type Route = (event: HttpRequest, context: Context) => Promise<HttpResponse>;

/**
 * Wraps a route in the middleware every HTTP function shares. The error mapper is the outermost layer:
 * an HttpError or a domain error becomes its status and field errors; anything else becomes a bare 500 whose details stay in the log.
 */
export function httpHandler(
  route: Route,
  options: { onError?: (error: HttpError, event: HttpRequest) => HttpResponse } = {},
) {
  return middy<HttpRequest, HttpResponse>()
    .onError(async (request) => {
      const error = request.error;
      const httpError = toHttpError(error);
      if (httpError) {
        request.response = options.onError
          ? options.onError(httpError, request.event)
          : json(httpError.statusCode, httpError.toJSON(), httpError.headers);
        return;
      }
      if (isThrottling(error)) {
        // Clients (Segment libraries, browsers' fetch retries) back off and retry a 503; nothing was half written.
        log.warn('throttled', { path: request.event.rawPath, error: { name: error?.name } });
        request.response = json(503, { message: 'Busy; retry shortly', errors: [] }, { 'retry-after': '1' });
        return;
      }
      log.error('unhandled error', {
        error,
        path: request.event.rawPath,
        requestId: request.context.awsRequestId,
      });
      request.response = json(500, { message: 'Internal error', errors: [] });
    })
    .handler(route);
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
]);

function isThrottling(error: Error | null | undefined): boolean {
  if (!error) return false;
  if (THROTTLING.has(error.name)) return true;
  // A cancelled transaction whose only reasons are throttling or conflicts is retryable too.
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return (
    error.name === 'TransactionCanceledException' &&
    !!reasons?.length &&
    reasons.every((reason) =>
      ['None', 'ThrottlingError', 'TransactionConflict', 'ProvisionedThroughputExceeded'].includes(
        reason.Code ?? 'None',
      ),
    )
  );
}
