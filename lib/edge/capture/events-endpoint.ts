import {
  batchSchema,
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  normaliseSegmentEvent,
} from '../../capture/segment.js';
import { recordCapture } from '../../identity/record-capture.js';
import { parseOrThrow } from '../../model/errors.js';
import type { Capture } from '../../model/touchpoint.js';
import { findSourceIdByWriteKey } from '../../store/config-store.js';
import { config } from '../../util/config.js';
import { log } from '../../util/log.js';
import { decodeUtf8, parseJson } from '../http/body.js';
import {
  badRequest,
  type FieldError,
  toHttpError,
  unauthorized,
  unsupportedMediaType,
} from '../http/errors.js';
import { type HttpRequest, header, mediaType, method, rawBody } from '../http/request.js';
import { empty, type HttpResponse, json } from '../http/response.js';

export type SegmentCall = 'batch' | 'track' | 'identify' | 'page';

// Segment's browser library posts text/plain so that no CORS preflight is needed.
const JSON_TYPES = new Set(['application/json', 'text/plain']);
// Events from one prospect are written one after another, different prospects side by side.
const PARALLEL_PROSPECTS = 8;

/** Public, authenticated by write key: any site may send events, as with Segment's own endpoint. */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

/** POST /v1/batch | /v1/track | /v1/identify | /v1/page, Segment HTTP Tracking API compatible. */
export async function handleSegmentCall(
  event: HttpRequest,
  call: SegmentCall,
  now = new Date(),
): Promise<HttpResponse> {
  try {
    if (method(event) === 'OPTIONS') return empty(204, CORS);
    const basicKey = writeKeyFromBasicAuth(header(event, 'authorization'));
    // With Basic auth the key is checked before the body is even read.
    let sourceId = basicKey ? await findSourceIdByWriteKey(basicKey) : undefined;
    if (basicKey && !sourceId) throw unknownWriteKey();
    const limit = call === 'batch' ? MAX_BATCH_BYTES : MAX_EVENT_BYTES;
    const bytes = rawBody(event, limit, call === 'batch' ? 'batch' : 'event');
    if (!JSON_TYPES.has(mediaType(event))) throw unsupportedMediaType(['application/json', 'text/plain']);
    const body = parseJson(decodeUtf8(bytes));
    if (!sourceId) {
      const writeKey = bodyWriteKey(body);
      sourceId = writeKey ? await findSourceIdByWriteKey(writeKey) : undefined;
      if (!sourceId) throw unknownWriteKey();
    }

    const { captures, errors, received } = normaliseCall(body, call, sourceId, now);
    const written = await recordAll(captures, now);
    log.info('events captured', {
      sourceId,
      call,
      received,
      accepted: captures.length,
      duplicates: written.duplicates,
    });
    if (errors.length) {
      // The valid events are stored; only the ones named in `errors` were refused (see README).
      return json(
        400,
        {
          message: `${received - captures.length} of ${received} events were rejected; the others were stored`,
          accepted: captures.length,
          errors,
        },
        CORS,
      );
    }
    return json(200, { success: true, accepted: captures.length }, CORS);
  } catch (thrown) {
    const error = toHttpError(thrown);
    if (error) return json(error.statusCode, error.toJSON(), { ...CORS, ...error.headers });
    throw thrown;
  }
}

function normaliseCall(body: unknown, call: SegmentCall, sourceId: string, receivedAt: Date) {
  const options = { sourceId, receivedAt, dedupTtlSeconds: config.DEDUP_TTL_HOURS * 3600 };
  if (call !== 'batch') {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest([{ field: 'body', message: 'must be a JSON object' }]);
    }
    const withType = { type: call, ...(body as Record<string, unknown>) };
    if (withType.type !== call)
      throw badRequest([{ field: 'type', message: `must be "${call}" on /v1/${call}` }]);
    const result = normaliseSegmentEvent(withType, options);
    if (!result.ok) throw badRequest(result.errors);
    return { captures: [result.capture], errors: [] as FieldError[], received: 1 };
  }
  const batch = parseOrThrow(batchSchema, body);
  const captures: Capture[] = [];
  const errors: FieldError[] = [];
  batch.batch.forEach((raw, index) => {
    const result = normaliseSegmentEvent(raw, {
      ...options,
      fieldPrefix: `batch[${index}].`,
      ...(batch.sentAt ? { batchSentAt: batch.sentAt } : {}),
      ...(batch.context ? { batchContext: batch.context } : {}),
    });
    if (result.ok) captures.push(result.capture);
    else errors.push(...result.errors);
  });
  return { captures, errors, received: batch.batch.length };
}

async function recordAll(captures: Capture[], now: Date): Promise<{ duplicates: number }> {
  let duplicates = 0;
  const queue = groupByPerson(captures);
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const capture of group) if ((await recordCapture(capture, now)).duplicate) duplicates++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PROSPECTS, queue.length) }, worker));
  return { duplicates };
}

/**
 * Events that share any identity (an anonymousId, a userId, an email) form one group, written in batch order;
 * so an anonymous page view and the identify that names its visitor never race each other.
 */
export function groupByPerson(captures: Capture[]): Capture[][] {
  const parent = captures.map((_, index) => index);
  const root = (index: number): number => {
    while (parent[index] !== index) index = parent[index] = parent[parent[index]!]!;
    return index;
  };
  const firstWith = new Map<string, number>();
  captures.forEach((capture, index) => {
    const { userId, email, anonymousId } = capture.identities;
    for (const identity of [
      userId && `u:${userId}`,
      email && `e:${email.toLowerCase()}`,
      anonymousId && `a:${anonymousId}`,
    ]) {
      if (!identity) continue;
      const seen = firstWith.get(identity);
      if (seen === undefined) firstWith.set(identity, index);
      else parent[root(index)] = root(seen);
    }
  });
  const groups = new Map<number, Capture[]>();
  captures.forEach((capture, index) => {
    const group = groups.get(root(index)) ?? [];
    group.push(capture);
    groups.set(root(index), group);
  });
  return [...groups.values()];
}

function unknownWriteKey() {
  return unauthorized('A valid write key is required as the Basic auth user name', 'Basic realm="events"');
}

function writeKeyFromBasicAuth(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const user = decoded.split(':')[0];
  return user || undefined;
}

function bodyWriteKey(body: unknown): string | undefined {
  const key = (body as { writeKey?: unknown } | null)?.writeKey;
  return typeof key === 'string' && key ? key : undefined;
}
