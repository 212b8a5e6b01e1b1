import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { payloadTooLarge } from './errors.js';

export type HttpRequest = APIGatewayProxyEventV2;

export function header(event: HttpRequest, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  // API Gateway v2 lower-cases header names, other callers (tests, local tools) may not.
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === wanted) return headers[key];
  }
  return undefined;
}

export function queryParameters(event: HttpRequest): Record<string, string> {
  // Local emulators send null where API Gateway omits the field.
  return { ...(event.queryStringParameters ?? {}) } as Record<string, string>;
}

export function pathParameter(event: HttpRequest, name: string): string | undefined {
  return event.pathParameters?.[name] ?? undefined;
}

export function method(event: HttpRequest): string {
  return event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
}

/** The body as bytes, refused with 413 before any parsing when larger than `maxBytes`. */
export function rawBody(event: HttpRequest, maxBytes: number, field = 'body'): Buffer {
  const body = event.body ?? '';
  // Cheap upper bound first so a huge body is never decoded.
  const encodedLength = event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : body.length;
  if (encodedLength > maxBytes * 4) throw payloadTooLarge(field, maxBytes);
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > maxBytes) throw payloadTooLarge(field, maxBytes);
  return bytes;
}

export function mediaType(event: HttpRequest): string {
  return (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Whether the caller is a browser navigating (plain form post) rather than a script asking for JSON. */
export function wantsHtml(event: HttpRequest): boolean {
  const accept = (header(event, 'accept') ?? '').toLowerCase();
  if (accept.includes('application/json')) return false;
  return accept.includes('text/html');
}
