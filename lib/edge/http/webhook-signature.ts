/**
 * HMAC-SHA256 signatures for the conversion webhook, in Stripe's scheme: `X-Signature: t=<unix
 * seconds>,v1=<hex>` where the hex is HMAC-SHA256(secret, `${t}.${rawBody}`). Several `v1` entries are
 * allowed (a sender rotating its secret signs with both); several secrets are accepted (we rotate ours).
 * Unknown schemes are ignored, as Stripe does, so a sender may add a stronger one later.
 *
 * The signature is checked before the timestamp, so `expired` is only ever said of a genuine request: a
 * replay or a clock that is off, not a guess.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

export const DEFAULT_TOLERANCE_SECONDS = 300;
// Several secrets and schemes fit easily; anything longer is not a header we sent.
const MAX_HEADER_LENGTH = 2048;

export function verifyWebhookSignature(
  header: string | undefined,
  rawBody: Buffer | string,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): WebhookVerification {
  if (secrets.length === 0 || secrets.some((secret) => secret.length === 0))
    throw new Error('webhook verification needs at least one non-empty secret');
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const expected = secrets.map((secret) => signature(parsed.timestamp, rawBody, secret));
  // Every pair is compared, so the time taken says nothing about which secret or entry came close.
  let matched = false;
  for (const given of parsed.signatures)
    for (const digest of expected) matched = timingSafeEqual(given, digest) || matched;
  if (!matched) return { ok: false, reason: 'mismatch' };
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, timestamp: parsed.timestamp };
}

/** The header value for `body` signed at `t` (unix seconds). */
export function signWebhook(body: Buffer | string, secret: string, t: number): string {
  if (!Number.isSafeInteger(t) || t < 0) throw new RangeError('t must be whole unix seconds');
  return `t=${t},v1=${signature(t, body, secret).toString('hex')}`;
}

function signature(t: number, body: Buffer | string, secret: string): Buffer {
  // The raw bytes, not a re-encoding: a body that is not valid UTF-8 must still verify.
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

function parseHeader(header: string): { timestamp: number; signatures: Buffer[] } | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    if (separator < 0) return undefined;
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}
