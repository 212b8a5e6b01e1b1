/**
 * The token in every `List-Unsubscribe` link: `v1.<prospectId>.<emailHash>.<mac>`, where mac is
 * HMAC-SHA256(secret, `v1.<prospectId>.<emailHash>`) in base64url. URL-safe as it stands (no encoding
 * needed), unguessable (256-bit MAC), and without expiry: an unsubscribe link must still work years later.
 *
 * Rotation: `v1` names the format; keys rotate by signing with the new secret and verifying with the new
 * one followed by every retired one, which must be kept for as long as old emails may be clicked. The
 * payload is readable by whoever holds the link (the recipient): a prospect id and the keyed hash of the
 * address, never the address itself.
 */
import { constantTimeEqual, hmacBase64Url } from '../util/crypto.js';

export type UnsubscribePayload = { prospectId: string; emailHash: string };

const VERSION = 'v1';
const FIELD = /^[A-Za-z0-9_-]{1,128}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
const MAX_TOKEN_LENGTH = 3 + 129 * 2 + 44;

export function signUnsubscribeToken(payload: UnsubscribePayload, secret: string): string {
  if (secret.length === 0) throw new Error('unsubscribe tokens need a secret');
  if (!FIELD.test(payload.prospectId) || !FIELD.test(payload.emailHash))
    throw new RangeError('prospectId and emailHash must be 1-128 URL-safe characters');
  const signed = `${VERSION}.${payload.prospectId}.${payload.emailHash}`;
  return `${signed}.${hmacBase64Url(secret, signed)}`;
}

/** The payload of a token signed with one of `secrets`, or undefined for anything else. */
export function verifyUnsubscribeToken(
  token: string,
  secrets: string | readonly string[],
): UnsubscribePayload | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 4) return undefined;
  const [version, prospectId, emailHash, given] = parts as [string, string, string, string];
  if (version !== VERSION || !FIELD.test(prospectId) || !FIELD.test(emailHash) || !MAC.test(given))
    return undefined;
  const signed = `${version}.${prospectId}.${emailHash}`;
  let valid = false;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets)
    if (secret.length > 0) valid = constantTimeEqual(hmacBase64Url(secret, signed), given) || valid;
  return valid ? { prospectId, emailHash } : undefined;
}
