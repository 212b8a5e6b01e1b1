export type FieldError = { field: string; message: string };

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
