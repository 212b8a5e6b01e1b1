import { config } from '../../util/config.js';
import { constantTimeEqual, hmacBase64Url } from '../../util/crypto.js';
import { badRequest } from './errors.js';

/**
 * Opaque paging cursors: the position as base64url JSON plus an HMAC bound to what the cursor pages over,
 * so an altered cursor, or one taken from another list, is a 400 rather than a read at someone else's keys.
 */
export function encodeCursor(position: Record<string, unknown>, boundTo: string): string {
  const body = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${body}.${hmacBase64Url(config.CURSOR_SECRET, `${boundTo}|${body}`)}`;
}

export function decodeCursor(cursor: string, boundTo: string, field = 'cursor'): Record<string, unknown> {
  const [body, signature, extra] = cursor.split('.');
  const invalid = badRequest([{ field, message: 'is not a cursor this API issued for this list' }]);
  if (!body || !signature || extra !== undefined) throw invalid;
  if (!constantTimeEqual(signature, hmacBase64Url(config.CURSOR_SECRET, `${boundTo}|${body}`))) throw invalid;
  try {
    const position = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (typeof position !== 'object' || position === null || Array.isArray(position)) throw invalid;
    return position;
  } catch {
    throw invalid;
  }
}
