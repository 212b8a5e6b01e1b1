import * as z from 'zod';
import type { FieldError } from '../model/errors.js';
import { fieldErrorsOf } from '../model/errors.js';
import type { Capture, TouchpointType } from '../model/touchpoint.js';
import { cleanTraits, type TraitName } from '../model/traits.js';
import { sha256Hex } from '../util/crypto.js';
import { cleanLine } from '../util/text.js';
import { boundProperties } from './properties.js';

/** Segment HTTP Tracking API limits. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

const id = z.union([z.string().min(1).max(256), z.number().finite().transform(String)]);
const isoTime = z
  .string()
  .max(64)
  .refine((value) => Number.isFinite(Date.parse(value)), 'must be an ISO 8601 date-time');
const record = z.record(z.string(), z.unknown());

const common = {
  messageId: z.string().min(1).max(256).optional(),
  userId: id.nullish(),
  anonymousId: id.nullish(),
  timestamp: isoTime.optional(),
  originalTimestamp: isoTime.optional(),
  sentAt: isoTime.optional(),
  context: record.optional(),
  integrations: record.optional(),
};

export const trackSchema = z.object({
  ...common,
  type: z.literal('track'),
  event: z.string().min(1).max(200),
  properties: record.optional(),
});
export const identifySchema = z.object({ ...common, type: z.literal('identify'), traits: record.optional() });
export const pageSchema = z.object({
  ...common,
  type: z.literal('page'),
  name: z.string().max(200).nullish(),
  category: z.string().max(200).nullish(),
  properties: record.optional(),
});
export const screenSchema = z.object({
  ...common,
  type: z.literal('screen'),
  name: z.string().max(200).nullish(),
  properties: record.optional(),
});
export const groupSchema = z.object({
  ...common,
  type: z.literal('group'),
  groupId: id,
  traits: record.optional(),
});
export const aliasSchema = z.object({ ...common, type: z.literal('alias'), previousId: id });

export const segmentEventSchema = z.discriminatedUnion('type', [
  trackSchema,
  identifySchema,
  pageSchema,
  screenSchema,
  groupSchema,
  aliasSchema,
]);
export type SegmentEvent = z.infer<typeof segmentEventSchema>;

export const batchSchema = z.object({
  batch: z.array(z.unknown()).min(1).max(2500),
  sentAt: isoTime.optional(),
  context: record.optional(),
  integrations: record.optional(),
  writeKey: z.string().optional(),
});

export type NormalisedEvent = { ok: true; capture: Capture } | { ok: false; errors: FieldError[] };

/**
 * Validates one Segment call and turns it into a capture. `fieldPrefix` names its place in a batch (`batch[3].`)
 * so errors point at the offending event.
 */
export function normaliseSegmentEvent(
  raw: unknown,
  options: {
    sourceId: string;
    receivedAt: Date;
    batchSentAt?: string;
    batchContext?: Record<string, unknown>;
    fieldPrefix?: string;
    dedupTtlSeconds: number;
  },
): NormalisedEvent {
  const prefix = options.fieldPrefix ?? '';
  const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
  if (size > MAX_EVENT_BYTES) {
    return {
      ok: false,
      errors: [
        {
          field: prefix ? prefix.slice(0, -1) : 'body',
          message: `exceeds the ${MAX_EVENT_BYTES / 1024} KB limit per event`,
        },
      ],
    };
  }
  const parsed = segmentEventSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: fieldErrorsOf(parsed.error, prefix, 'type') };
  }
  const event = parsed.data;
  const userId = event.userId ?? undefined;
  const anonymousId = event.type === 'alias' ? event.previousId : (event.anonymousId ?? undefined);
  if (!userId && !anonymousId) {
    return {
      ok: false,
      errors: [{ field: `${prefix}userId`, message: 'userId or anonymousId is required' }],
    };
  }

  const context = { ...(options.batchContext ?? {}), ...(event.context ?? {}) };
  const rawTraits =
    event.type === 'identify'
      ? (event.traits ?? {})
      : ((context.traits as Record<string, unknown> | undefined) ?? {});
  const { traits, errors: traitErrors } = cleanTraits(segmentTraits(rawTraits, context));
  // A malformed optional trait (a phone in an odd format) should not cost the event: it is not applied to the
  // profile but stays in the stored properties. Only an identify with an unusable email is refused: identity depends on it.
  if (event.type === 'identify' && traitErrors.some((error) => error.trait === 'email')) {
    return { ok: false, errors: [{ field: `${prefix}traits.email`, message: 'must be an email address' }] };
  }

  const receivedAt = options.receivedAt;
  const occurredAt = correctedTimestamp(
    event.timestamp ?? event.originalTimestamp,
    event.sentAt ?? options.batchSentAt,
    receivedAt,
  );
  const messageId = event.messageId ?? `content-${sha256Hex(JSON.stringify(raw))}`;
  const properties =
    'properties' in event
      ? event.properties
      : event.type === 'identify'
        ? event.traits
        : event.type === 'group'
          ? { groupId: event.groupId, ...(event.traits ?? {}) }
          : {};
  const { properties: bounded, truncated } = boundProperties(properties ?? {});
  const page = pageContext(event, context);
  const campaign = context.campaign as Record<string, unknown> | undefined;
  const utm: Record<string, string> = {};
  for (const key of ['source', 'medium', 'name', 'term', 'content'] as const) {
    const value = campaign?.[key];
    if (typeof value === 'string' && value) utm[key === 'name' ? 'campaign' : key] = cleanLine(value, 200);
  }

  return {
    ok: true,
    capture: {
      identities: {
        ...(userId ? { userId: cleanLine(userId, 256) } : {}),
        ...(anonymousId ? { anonymousId: cleanLine(anonymousId, 256) } : {}),
        ...(traits.email ? { email: traits.email } : {}),
      },
      dedup: { scope: `src:${options.sourceId}`, id: messageId, ttlSeconds: options.dedupTtlSeconds },
      touchpoint: {
        eventId: '',
        type: event.type as TouchpointType,
        source: `source:${options.sourceId}`,
        ...(eventName(event) ? { name: eventName(event) } : {}),
        occurredAt: occurredAt.toISOString(),
        receivedAt: receivedAt.toISOString(),
        properties: { ...bounded, messageId },
        ...(truncated ? { propertiesTruncated: true } : {}),
        ...(Object.keys(traits).length ? { traits } : {}),
        ...(page ? { page } : {}),
        ...(Object.keys(utm).length ? { utm } : {}),
      },
    },
  };
}

/**
 * Segment's clock-skew correction: the client's clock may be wrong, but the interval between the event and
 * the send is measured on that same clock, so `receivedAt - (sentAt - timestamp)` is the event on our clock.
 */
export function correctedTimestamp(
  timestamp: string | undefined,
  sentAt: string | undefined,
  receivedAt: Date,
): Date {
  if (!timestamp) return receivedAt;
  const at = Date.parse(timestamp);
  if (!sentAt) return new Date(at);
  const corrected = receivedAt.getTime() - (Date.parse(sentAt) - at);
  // A sentAt before the timestamp is a client bug; never place an event after it was received.
  return new Date(Math.min(corrected, receivedAt.getTime()));
}

function eventName(event: SegmentEvent): string | undefined {
  switch (event.type) {
    case 'track':
      return cleanLine(event.event, 200);
    case 'page':
    case 'screen':
      return event.name ? cleanLine(event.name, 200) : undefined;
    case 'group':
      return cleanLine(event.groupId, 200);
    default:
      return undefined;
  }
}

function pageContext(event: SegmentEvent, context: Record<string, unknown>) {
  const fromProperties = event.type === 'page' ? (event.properties ?? {}) : {};
  const fromContext = (context.page as Record<string, unknown> | undefined) ?? {};
  const pick = (key: string) => {
    const value = fromProperties[key] ?? fromContext[key];
    return typeof value === 'string' && value ? cleanLine(value, 2000) : undefined;
  };
  const page = { url: pick('url'), path: pick('path'), referrer: pick('referrer'), title: pick('title') };
  if (!page.path && page.url) {
    try {
      page.path = new URL(page.url).pathname;
    } catch {
      // keep the url alone
    }
  }
  const defined = Object.fromEntries(Object.entries(page).filter(([, value]) => value !== undefined));
  return Object.keys(defined).length ? defined : undefined;
}

/** Segment's reserved traits, including the nested `company` and `address` objects, onto ours. */
function segmentTraits(
  traits: Record<string, unknown>,
  context: Record<string, unknown>,
): Partial<Record<TraitName, unknown>> {
  const company = traits.company;
  const companyObject =
    company && typeof company === 'object' ? (company as Record<string, unknown>) : undefined;
  const address =
    traits.address && typeof traits.address === 'object' ? (traits.address as Record<string, unknown>) : {};
  return {
    email: traits.email,
    firstName: traits.firstName ?? traits.first_name,
    lastName: traits.lastName ?? traits.last_name,
    name: traits.name,
    company: companyObject ? companyObject.name : company,
    title: traits.title,
    phone: traits.phone,
    employees: traits.employees ?? companyObject?.employee_count,
    industry: traits.industry ?? companyObject?.industry,
    country: address.country ?? traits.country,
    timezone: traits.timezone ?? context.timezone,
    website: traits.website,
  };
}
