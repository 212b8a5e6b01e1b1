import type { z } from 'zod';
import { badRequest, type FieldError } from './errors.js';

export function fieldErrors(error: z.ZodError, prefix = '', fallbackField = 'body'): FieldError[] {
  return error.issues.map((issue) => ({
    field: prefix + (issue.path.join('.') || fallbackField),
    message: issue.message,
  }));
}

/** Parses input at the boundary: a 400 naming each bad field, or the typed value. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  fallbackField = 'body',
): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw badRequest(fieldErrors(result.error, '', fallbackField));
  return result.data;
}
