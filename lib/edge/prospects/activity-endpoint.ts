import { boundProperties } from '../../capture/properties.js';
import { currentProfile, knownIdentities } from '../../identity/current-profile.js';
import { recordCapture } from '../../identity/record-capture.js';
import { parseOrThrow } from '../../model/errors.js';
import { sha256Hex } from '../../util/crypto.js';
import { cleanText } from '../../util/text.js';
import { requireScope } from '../http/auth.js';
import { decodeUtf8, parseJson } from '../http/body.js';
import { HttpError, notFound, unsupportedMediaType } from '../http/errors.js';
import { type HttpRequest, mediaType, pathParameter, rawBody } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { activityBodySchema, prospectIdSchema } from './prospect-schemas.js';

const MAX_ACTIVITY_BYTES = 16 * 1024;
// A retried request without an activityId within this window is the same activity.
const ACTIVITY_DEDUP_SECONDS = 24 * 3600;

/** POST /v1/prospects/{id}/touchpoints: a sales activity (call, meeting, reply, note) as a touchpoint. */
export async function handleLogActivity(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const principal = requireScope(event, 'prospects:write');
  const id = prospectIdSchema.safeParse(pathParameter(event, 'id'));
  if (!id.success) throw notFound('No such prospect');
  const bytes = rawBody(event, MAX_ACTIVITY_BYTES);
  if (mediaType(event) !== 'application/json') throw unsupportedMediaType(['application/json']);
  const body = parseOrThrow(activityBodySchema, parseJson(decodeUtf8(bytes)));
  const occurredAt = body.occurredAt ? new Date(body.occurredAt) : now;
  if (occurredAt.getTime() > now.getTime() + 5 * 60_000)
    throw new HttpError(400, 'The request is invalid', [
      { field: 'occurredAt', message: 'must not be in the future' },
    ]);

  const profile = await currentProfile(id.data);
  const identities = knownIdentities(profile);
  if (!identities)
    throw new HttpError(409, 'This prospect is an anonymous visitor: activities need a known person');
  const { properties, truncated } = boundProperties({
    ...(body.note ? { note: cleanText(body.note) } : {}),
    ...(body.outcome ? { outcome: body.outcome } : {}),
    by: principal.subject,
  });
  const at = occurredAt.toISOString();
  const result = await recordCapture(
    {
      identities,
      dedup: {
        scope: `activity:${profile.prospectId}`,
        id: body.activityId ?? sha256Hex(JSON.stringify({ ...body, occurredAt: at })),
        ttlSeconds: ACTIVITY_DEDUP_SECONDS,
      },
      touchpoint: {
        eventId: '',
        type: 'activity',
        source: 'sales',
        name: body.type,
        occurredAt: at,
        receivedAt: now.toISOString(),
        properties,
        ...(truncated ? { propertiesTruncated: true } : {}),
      },
    },
    now,
  );
  return json(result.duplicate ? 200 : 202, { prospectId: result.prospectId, duplicate: result.duplicate });
}
