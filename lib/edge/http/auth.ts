import { config } from '../../util/config.js';
import { constantTimeEqual, hmacBase64Url } from '../../util/crypto.js';
import { forbidden, unauthorized } from './errors.js';
import { type HttpRequest, header } from './request.js';

export type Scope = 'prospects:read' | 'prospects:write' | 'admin';
export const SCOPES: readonly Scope[] = ['prospects:read', 'prospects:write', 'admin'];

export type Principal = { subject: string; scopes: Set<string> };

const LOCAL_ISSUER = 'prospect-scoring-local';

/**
 * In AWS the HTTP API JWT authorizer has verified the token before the function runs, so its claims are trusted.
 * Locally the same token shape is verified here with TOKEN_SECRET (HS256).
 */
export function authenticate(event: HttpRequest): Principal {
  if (config.AUTH_MODE === 'apigateway') {
    const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } })
      .authorizer?.jwt?.claims;
    if (!claims) throw unauthorized();
    return principalFromClaims(claims);
  }
  const authorization = header(event, 'authorization') ?? '';
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization.trim());
  if (!match) throw unauthorized();
  const claims = verifyLocalToken(match[1]!);
  if (!claims) throw unauthorized('The token is invalid or expired');
  return principalFromClaims(claims);
}

/** 401 without a valid token, 403 when the token lacks every one of `anyOf`. */
export function requireScope(event: HttpRequest, ...anyOf: Scope[]): Principal {
  const principal = authenticate(event);
  if (principal.scopes.has('admin') || anyOf.some((scope) => principal.scopes.has(scope))) return principal;
  throw forbidden(`This token needs the scope ${anyOf.join(' or ')}`);
}

function principalFromClaims(claims: Record<string, unknown>): Principal {
  const raw = claims.scope ?? claims.scp ?? '';
  const scopes = Array.isArray(raw) ? raw.map(String) : String(raw).split(/[\s,]+/);
  return { subject: String(claims.sub ?? 'unknown'), scopes: new Set(scopes.filter(Boolean)) };
}

export function signLocalToken(
  scopes: string[],
  options: { subject?: string; ttlSeconds?: number; now?: number } = {},
) {
  const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
  const headerPart = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = {
    iss: LOCAL_ISSUER,
    sub: options.subject ?? 'local-user',
    scope: scopes.join(' '),
    iat: issuedAt,
    exp: issuedAt + (options.ttlSeconds ?? 12 * 3600),
  };
  const payloadPart = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = hmacBase64Url(config.TOKEN_SECRET, `${headerPart}.${payloadPart}`);
  return `${headerPart}.${payloadPart}.${signature}`;
}

function verifyLocalToken(token: string): Record<string, unknown> | undefined {
  const [headerPart, payloadPart, signature] = token.split('.') as [string, string, string];
  if (!constantTimeEqual(signature, hmacBase64Url(config.TOKEN_SECRET, `${headerPart}.${payloadPart}`)))
    return undefined;
  try {
    const head = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    if (head?.alg !== 'HS256') return undefined;
    const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null || claims.iss !== LOCAL_ISSUER) return undefined;
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}
