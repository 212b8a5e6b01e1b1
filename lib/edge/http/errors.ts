import { DomainError, type DomainErrorCode, type FieldError, ThrottledError } from '../../model/errors.js';

export type { FieldError };

/** An error whose status and message are safe to show to the client (`expose`), unlike anything else thrown. */
export class HttpError extends Error {
  readonly expose = true;
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toJSON(): { message: string; errors: FieldError[] } {
    return { message: this.message, errors: this.errors };
  }
}

export const badRequest = (errors: FieldError[], message = 'The request is invalid') =>
  new HttpError(400, message, errors);

export const unauthorized = (message = 'Authentication required', challenge = 'Bearer') =>
  new HttpError(401, message, [], { 'www-authenticate': challenge });

export const forbidden = (message = 'This token does not allow that') => new HttpError(403, message);

export const notFound = (message = 'Not found') => new HttpError(404, message);

export const payloadTooLarge = (field: string, limitBytes: number) =>
  new HttpError(413, `The ${field} exceeds the ${formatBytes(limitBytes)} limit`, [
    { field, message: `must be at most ${formatBytes(limitBytes)}` },
  ]);

export const unsupportedMediaType = (allowed: string[]) =>
  new HttpError(415, `Content-Type must be one of: ${allowed.join(', ')}`, [
    { field: 'content-type', message: `must be one of: ${allowed.join(', ')}` },
  ]);

function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;
}

const STATUS_OF: Record<DomainErrorCode, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  throttled: 503,
};

/**
 * The HTTP form of anything an endpoint may show its caller: an HttpError as it is, a domain error by its code;
 * undefined for everything else, which stays a 500 whose details only the log sees.
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (!(error instanceof DomainError)) return undefined;
  const headers: Record<string, string> =
    error instanceof ThrottledError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
  return new HttpError(STATUS_OF[error.code], error.message, error.errors, headers);
}
