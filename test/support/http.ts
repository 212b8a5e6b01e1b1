import type { Context } from 'aws-lambda';
import { apiGatewayEvent, type HttpRequestInput, lambdaContext } from '../../scripts/local/api-gateway.js';

type HttpHandler = (event: never, context: Context) => Promise<unknown>;

export type TestResponse = {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of many shapes
  json: () => any;
};

/** Calls a real handler in-process with the API Gateway v2 event the HTTP API would send. */
export async function invoke(handler: HttpHandler, request: HttpRequestInput): Promise<TestResponse> {
  const result = (await handler(apiGatewayEvent(request) as never, lambdaContext('test'))) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  const body = result.body ?? '';
  return { statusCode: result.statusCode, headers: result.headers ?? {}, body, json: () => JSON.parse(body) };
}

export const jsonRequest = (
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): HttpRequestInput => ({
  method,
  url,
  headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

export const basicAuth = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
