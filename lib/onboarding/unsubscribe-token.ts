/**
 * The token in every `List-Unsubscribe` link: `v2.<prospectId>.<emailHash>.<category>.<mac>`, where mac is
 * HMAC-SHA256(secret, everything before it) in base64url. URL-safe as it stands (no encoding needed), unguessable
 * (256-bit MAC), and without expiry: an unsubscribe link must still work years later. The category is the email's
 * (`transactional` or `marketing`): the link unsubscribes from that kind of mail, not from every other.
 *
 * `v1.<prospectId>.<emailHash>.<mac>` tokens, from emails sent before categories, still verify and mean "every
 * category", as they did when they were sent.
 *
 * Rotation: keys rotate by signing with the new secret and verifying with the new one followed by every retired
 * one, which must be kept for as long as old emails may be clicked. The payload is readable by whoever holds the
 * link (the recipient): a prospect id and the keyed hash of the address, never the address itself.
 */
import { constantTimeEqual, hmacBase64Url } from '../util/crypto.js';
import { MESSAGE_CATEGORIES, type MessageCategory } from './sequence.js';

/** `category` absent: every category (a v1 token). */
export type UnsubscribePayload = { prospectId: string; emailHash: string; category?: MessageCategory };

const FIELD = /^[A-Za-z0-9_-]{1,128}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
const MAX_TOKEN_LENGTH = 3 + 129 * 2 + 15 + 44;

export function signUnsubscribeToken(
  payload: UnsubscribePayload & { category: MessageCategory },
  secret: string,
): string {
  if (secret.length === 0) throw new Error('unsubscribe tokens need a secret');
  if (!FIELD.test(payload.prospectId) || !FIELD.test(payload.emailHash))
    throw new RangeError('prospectId and emailHash must be 1-128 URL-safe characters');
  const signed = `v2.${payload.prospectId}.${payload.emailHash}.${payload.category}`;
  return `${signed}.${hmacBase64Url(secret, signed)}`;
}

/** The payload of a token signed with one of `secrets`, or undefined for anything else. */
export function verifyUnsubscribeToken(
  token: string,
  secrets: string | readonly string[],
): UnsubscribePayload | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  const version = parts[0];
  if (!((version === 'v1' && parts.length === 4) || (version === 'v2' && parts.length === 5)))
    return undefined;
  const given = parts.at(-1)!;
  const [, prospectId, emailHash] = parts as [string, string, string];
  const category = version === 'v2' ? parts[3] : undefined;
  if (!FIELD.test(prospectId) || !FIELD.test(emailHash) || !MAC.test(given)) return undefined;
  if (category !== undefined && !(MESSAGE_CATEGORIES as readonly string[]).includes(category))
    return undefined;
  const signed = parts.slice(0, -1).join('.');
  let valid = false;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets)
    if (secret.length > 0) valid = constantTimeEqual(hmacBase64Url(secret, signed), given) || valid;
  if (!valid) return undefined;
  return { prospectId, emailHash, ...(category ? { category: category as MessageCategory } : {}) };
}
