import { followMerges, recordCapture } from '../../identity/record-capture.js';
import { parseOrThrow } from '../../model/errors.js';
import { cleanTraits } from '../../model/traits.js';
import { enrollCustomer } from '../../onboarding/enroll.js';
import { getProfile } from '../../store/profiles.js';
import { config } from '../../util/config.js';
import { sha256Hex } from '../../util/crypto.js';
import { normaliseEmail } from '../../util/text.js';
import { requireScope } from '../http/auth.js';
import { decodeUtf8, parseJson } from '../http/body.js';
import { badRequest, HttpError, unsupportedMediaType } from '../http/errors.js';
import { type HttpRequest, header, mediaType, rawBody } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { verifyWebhookSignature } from '../http/webhook-signature.js';
import { conversionBodySchema, idempotencyKeySchema, MAX_CONVERSION_BYTES } from './conversion-schemas.js';

// Clocks of CRMs and billing systems drift; a conversion further ahead than this is a mistake, not skew.
const MAX_FUTURE_MS = 5 * 60_000;

const SIGNATURE_PROBLEMS = {
  missing: 'is empty',
  malformed: 'must be t=<unix seconds>,v1=<hex HMAC-SHA256>',
  expired: 'is older than 300 seconds (or the clocks disagree): sign each delivery afresh',
  mismatch: 'does not match the body',
} as const;

/**
 * POST /v1/conversions: a CRM or billing system says this person became a customer. Authenticated by an
 * X-Signature HMAC over `t.rawBody`, or (where a bearer token can be verified) a prospects:write token. The
 * conversion is a touchpoint, recorded once per idempotency id; the onboarding decision is made once per
 * prospect, so a replay changes nothing and answers the same.
 */
export async function handleConversion(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const bytes = rawBody(event, MAX_CONVERSION_BYTES);
  authenticate(event, bytes, now);
  if (mediaType(event) !== 'application/json') throw unsupportedMediaType(['application/json']);
  const body = parseOrThrow(conversionBodySchema, parseJson(decodeUtf8(bytes)));
  const idempotencyHeader = header(event, 'idempotency-key');
  const idempotencyKey =
    idempotencyHeader === undefined
      ? undefined
      : parseOrThrow(idempotencyKeySchema, idempotencyHeader, 'Idempotency-Key');
  const occurredAt = body.occurredAt ? new Date(body.occurredAt) : now;
  if (occurredAt.getTime() > now.getTime() + MAX_FUTURE_MS)
    throw badRequest([{ field: 'occurredAt', message: 'must not be in the future' }]);

  const { traits } = cleanTraits({ email: body.email });
  let userId: string | undefined;
  if (body.prospectId) {
    const profile = await getProfile(await followMerges(body.prospectId, now));
    if (!profile) throw badRequest([{ field: 'prospectId', message: 'is not a known prospect' }]);
    userId = profile.userId;
  }
  // The body as sent, not the time it arrived: a retry of the same delivery is the same conversion.
  const conversionId =
    idempotencyKey ??
    sha256Hex(JSON.stringify([normaliseEmail(body.email), body.occurredAt ?? null, body.plan ?? null]));
  const recorded = await recordCapture(
    {
      identities: { email: body.email, ...(userId ? { userId } : {}) },
      dedup: { scope: 'conversion', id: conversionId, ttlSeconds: config.DEDUP_TTL_HOURS * 3600 },
      touchpoint: {
        eventId: '',
        type: 'conversion',
        source: 'conversion',
        name: body.plan ?? 'customer',
        occurredAt: occurredAt.toISOString(),
        receivedAt: now.toISOString(),
        properties: body.plan ? { plan: body.plan } : {},
        traits,
      },
    },
    now,
  );
  const decision = await enrollCustomer(recorded.prospectId, { id: conversionId, plan: body.plan }, now);
  return json(202, { prospectId: decision.prospectId, sequenceId: decision.sequenceId });
}

function authenticate(event: HttpRequest, bytes: Buffer, now: Date): void {
  const signature = header(event, 'x-signature');
  if (signature !== undefined) {
    const verified = verifyWebhookSignature(
      signature,
      bytes,
      config.WEBHOOK_SECRETS,
      Math.floor(now.getTime() / 1000),
    );
    if (!verified.ok)
      throw new HttpError(
        401,
        'The signature is not valid',
        [{ field: 'X-Signature', message: SIGNATURE_PROBLEMS[verified.reason] }],
        { 'www-authenticate': 'Signature' },
      );
    return;
  }
  if (header(event, 'authorization') !== undefined) {
    requireScope(event, 'prospects:write');
    return;
  }
  throw new HttpError(
    401,
    'Authentication required',
    [{ field: 'X-Signature', message: 'is required (or a bearer token with scope prospects:write)' }],
    { 'www-authenticate': 'Signature' },
  );
}
