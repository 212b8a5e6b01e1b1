/**
 * The signed Reply-To address that attributes a reply: `reply+1<prospectId><send><mac>@<REPLY_DOMAIN>`, where
 * `send` is the first 8 hex digits of SHA-256(`<sequenceId>#<stepId>`) and mac the first 20 hex digits of
 * HMAC-SHA256(secret, `1<prospectId><send>`). Lower-case hex throughout, because mail systems may lower-case a
 * local part; 59 characters before the `@`, inside the 64 a local part may have. 80 bits of MAC: guessing one
 * takes 2^80 tries, and a reply with a token that does not verify is not attributed to anyone.
 */
import { constantTimeEqual, hmacHex, sha256Hex } from '../util/crypto.js';

const VERSION = '1';
const LOCAL = /^reply\+1([a-f0-9]{24})([a-f0-9]{8})([a-f0-9]{20})$/;

export type ReplyToken = { prospectId: string; sendRef: string };

/** The short reference of a send (sequence and step) inside a reply address. */
export function sendRef(sequenceId: string, stepId: string): string {
  return sha256Hex(`${sequenceId}#${stepId}`).slice(0, 8);
}

export function replyAddress(
  send: { prospectId: string; sequenceId: string; stepId: string },
  domain: string,
  secret: string,
): string {
  if (!/^[a-f0-9]{24}$/.test(send.prospectId)) throw new RangeError('a reply address needs a prospect id');
  const signed = `${VERSION}${send.prospectId}${sendRef(send.sequenceId, send.stepId)}`;
  return `reply+${signed}${hmacHex(secret, signed).slice(0, 20)}@${domain}`;
}

/** The prospect and send a reply address names, if it is one of ours and its MAC verifies with a secret. */
export function verifyReplyAddress(
  address: string,
  domain: string,
  secrets: readonly string[],
): ReplyToken | undefined {
  const at = address.lastIndexOf('@');
  if (at < 1 || address.length > 254) return undefined;
  if (address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return undefined;
  const match = LOCAL.exec(address.slice(0, at).toLowerCase());
  if (!match) return undefined;
  const [, prospectId, ref, given] = match as unknown as [string, string, string, string];
  const signed = `${VERSION}${prospectId}${ref}`;
  let valid = false;
  for (const secret of secrets)
    if (secret.length > 0) valid = constantTimeEqual(hmacHex(secret, signed).slice(0, 20), given) || valid;
  return valid ? { prospectId, sendRef: ref } : undefined;
}
