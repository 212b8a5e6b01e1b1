import { describe, expect, it } from 'vitest';
import { requireScope, signLocalToken } from '../../lib/edge/http/auth.js';
import { decodeCursor, encodeCursor } from '../../lib/edge/http/cursor.js';
import { HttpError } from '../../lib/edge/http/errors.js';
import { apiGatewayEvent } from '../../scripts/local/api-gateway.js';

const withToken = (token?: string) =>
  apiGatewayEvent({
    method: 'GET',
    url: '/v1/prospects/x',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

const statusOf = (action: () => unknown) => {
  try {
    action();
    return 200;
  } catch (error) {
    return error instanceof HttpError ? error.statusCode : 500;
  }
};

describe('requireScope', () => {
  it('accepts a token with the scope', () => {
    expect(
      requireScope(withToken(signLocalToken(['prospects:read'])), 'prospects:read').scopes.has(
        'prospects:read',
      ),
    ).toBe(true);
  });

  it('lets admin do everything', () => {
    expect(statusOf(() => requireScope(withToken(signLocalToken(['admin'])), 'prospects:read'))).toBe(200);
  });

  it('answers 401 without a token, with a malformed one, a forged one or an expired one', () => {
    const valid = signLocalToken(['prospects:read']);
    const [head, payload] = valid.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ iss: 'prospect-scoring-local', scope: 'admin', exp: 9999999999 }),
    ).toString('base64url');
    expect(statusOf(() => requireScope(withToken(), 'prospects:read'))).toBe(401);
    expect(statusOf(() => requireScope(withToken('nonsense'), 'prospects:read'))).toBe(401);
    expect(
      statusOf(() =>
        requireScope(withToken(`${head}.${forgedPayload}.${valid.split('.')[2]}`), 'prospects:read'),
      ),
    ).toBe(401);
    expect(statusOf(() => requireScope(withToken(`${head}.${payload}.AAAA`), 'prospects:read'))).toBe(401);
    const expired = signLocalToken(['prospects:read'], { now: Date.now() - 48 * 3600_000, ttlSeconds: 60 });
    expect(statusOf(() => requireScope(withToken(expired), 'prospects:read'))).toBe(401);
  });

  it('answers 403 when the token lacks the scope', () => {
    expect(
      statusOf(() => requireScope(withToken(signLocalToken(['prospects:write'])), 'prospects:read')),
    ).toBe(403);
  });
});

describe('cursors', () => {
  it('round-trips a position for the list it was issued for', () => {
    const cursor = encodeCursor({ PK: 'P#1', SK: 'T#2' }, 'timeline:1');
    expect(decodeCursor(cursor, 'timeline:1')).toEqual({ PK: 'P#1', SK: 'T#2' });
  });

  it('refuses an altered cursor or one from another list with a 400 on cursor', () => {
    const cursor = encodeCursor({ PK: 'P#1', SK: 'T#2' }, 'timeline:1');
    const altered = `${Buffer.from(JSON.stringify({ PK: 'P#2', SK: 'T#2' })).toString('base64url')}.${cursor.split('.')[1]}`;
    for (const [bad, list] of [
      [altered, 'timeline:1'],
      [cursor, 'timeline:2'],
      ['garbage', 'timeline:1'],
    ] as const) {
      try {
        decodeCursor(bad, list);
        expect.unreachable();
      } catch (error) {
        expect(error).toMatchObject({ statusCode: 400, errors: [{ field: 'cursor' }] });
      }
    }
  });
});
