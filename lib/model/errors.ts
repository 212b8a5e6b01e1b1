import type { z } from 'zod';

/** A problem with one named input field; every 4xx names the fields it refuses. */
export type FieldError = { field: string; message: string };

export type DomainErrorCode = 'invalid' | 'not-found' | 'conflict' | 'throttled' | 'gone';

/**
 * What domain and store code throw when a request cannot be carried out. They know nothing of HTTP: the HTTP edge
 * maps the `code` to a status, stream and queue adapters to a retry or a skip. Messages are safe to show a caller.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The input breaks a rule; `errors` names each field. */
export class InvalidInputError extends DomainError {
  constructor(errors: FieldError[], message = 'The request is invalid') {
    super('invalid', message, errors);
    this.name = 'InvalidInputError';
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'Not found') {
    super('not-found', message);
    this.name = 'NotFoundError';
  }
}

/** The state changed under the caller (a conditional write lost); retrying later may succeed. */
export class ConflictError extends DomainError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ConflictError';
  }
}

/** Too much at once, ours or DynamoDB's: retry after `retryAfterSeconds`. */
export class ThrottledError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super('throttled', message);
    this.name = 'ThrottledError';
  }
}

/** It existed and no longer does (erased, expired); asking again will not bring it back. */
export class GoneError extends DomainError {
  constructor(message: string) {
    super('gone', message);
    this.name = 'GoneError';
  }
}

/** A zod error as field errors: `prefix` places them (`batch[3].`), `fallbackField` names a root-level issue. */
export function fieldErrorsOf(error: z.ZodError, prefix = '', fallbackField = 'body'): FieldError[] {
  return error.issues.map((issue) => ({
    field: prefix + (issue.path.join('.') || fallbackField),
    message: issue.message,
  }));
}

/** Parses input against its schema: the typed value, or an InvalidInputError naming each bad field. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  input: unknown,
  fallbackField = 'body',
): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(fieldErrorsOf(result.error, '', fallbackField));
  return result.data;
}
