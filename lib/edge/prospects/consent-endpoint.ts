import { currentProfile, knownIdentities } from '../../identity/current-profile.js';
import { recordCapture } from '../../identity/record-capture.js';
import { parseOrThrow } from '../../model/errors.js';
import { stopMarketing } from '../../privacy/consent.js';
import { requireScope } from '../http/auth.js';
import { decodeUtf8, parseJson } from '../http/body.js';
import { notFound, unsupportedMediaType } from '../http/errors.js';
import { type HttpRequest, mediaType, pathParameter, rawBody } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { consentBodySchema, prospectIdSchema } from './prospect-schemas.js';

const MAX_CONSENT_BYTES = 1024;
// Withdrawing the same consent again records nothing new within this window (and changes nothing anyway).
const CONSENT_DEDUP_SECONDS = 30 * 24 * 3600;

/** POST /v1/prospects/{id}/consent {"marketing": false}: withdraws marketing consent, ends every sequence. */
export async function handleConsent(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const principal = requireScope(event, 'prospects:write');
  const id = prospectIdSchema.safeParse(pathParameter(event, 'id'));
  if (!id.success) throw notFound('No such prospect');
  const bytes = rawBody(event, MAX_CONSENT_BYTES);
  if (mediaType(event) !== 'application/json') throw unsupportedMediaType(['application/json']);
  parseOrThrow(consentBodySchema, parseJson(decodeUtf8(bytes)));

  const profile = await currentProfile(id.data);
  if (profile.erasingAt) throw notFound('No such prospect');
  const { consent, enrollmentsEnded } = await stopMarketing(profile.prospectId, 'api', now);
  const identities = knownIdentities(profile);
  // On the timeline, once per consent withdrawn: the proof of the withdrawal, beside the consent's own form.
  if (consent && identities)
    await recordCapture(
      {
        identities,
        dedup: {
          scope: `consent:${profile.prospectId}`,
          id: `withdrawn|${consent.formId}|${consent.givenAt}`,
          ttlSeconds: CONSENT_DEDUP_SECONDS,
        },
        touchpoint: {
          eventId: '',
          type: 'consent',
          source: 'api',
          name: 'withdrawn',
          occurredAt: consent.withdrawnAt ?? now.toISOString(),
          receivedAt: now.toISOString(),
          properties: {
            marketing: false,
            formId: consent.formId,
            version: consent.version,
            by: principal.subject,
            enrollmentsEnded,
          },
        },
      },
      now,
    );
  return json(200, { prospectId: profile.prospectId, consent: consent ?? null, enrollmentsEnded });
}
