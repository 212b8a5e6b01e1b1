import * as z from 'zod';
import type { FieldError } from '../model/errors.js';
import type { Capture, ConsentRecord } from '../model/touchpoint.js';
import { cleanTraits, type TraitName } from '../model/traits.js';
import { sha256Hex } from '../util/crypto.js';
import { cleanLine } from '../util/text.js';
import type { FormConfig } from './form-config.js';
import { originAllowed } from './form-config.js';
import { boundProperties } from './properties.js';

/** Hidden fields with a meaning of their own; never stored as properties. */
export const RESERVED_FIELDS = {
  renderedAt: '_ts',
  redirect: '_redirect',
  submissionId: '_submission_id',
  anonymousId: 'anonymousId',
  pageUrl: 'page_url',
} as const;

const UTM_FIELDS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;
const TRUTHY = new Set(['on', 'true', '1', 'yes', 'y', 'checked']);
/** A form post resent within this window with the same content is the same submission (double click, reload). */
export const FORM_DEDUP_SECONDS = 10 * 60;

export type FormValues = Record<string, string | string[]>;

export type FormOutcome =
  | { kind: 'bot'; reason: 'honeypot' | 'too-fast' }
  | { kind: 'invalid'; errors: FieldError[] }
  | { kind: 'valid'; capture: Capture; redirectUrl: string };

export type SubmissionContext = { receivedAt: Date; referer?: string };

export const formJsonBodySchema = z
  .record(z.string(), z.unknown())
  .describe(
    'Form fields by the names the form config maps; values are strings, numbers, booleans or lists of them',
  );

/** JSON bodies use the same field names as the HTML form; scalars become strings, nested values stay properties. */
export function formValuesFromJson(
  json: unknown,
): { values: FormValues; nested: Record<string, unknown> } | FieldError {
  const parsed = formJsonBodySchema.safeParse(json);
  if (!parsed.success) return { field: 'body', message: 'must be a JSON object of form fields' };
  const body = parsed.data;
  const values: FormValues = Object.create(null);
  const nested: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') values[name] = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean')
      values[name] = String(value);
    else if (
      Array.isArray(value) &&
      value.every((item) => ['string', 'number', 'boolean'].includes(typeof item))
    ) {
      values[name] = value.map(String);
    } else nested[name] = value;
  }
  return { values, nested };
}

export function interpretFormSubmission(
  form: FormConfig,
  values: FormValues,
  context: SubmissionContext,
  nested: Record<string, unknown> = {},
): FormOutcome {
  const single = (field: string): string | undefined => {
    const value = values[field];
    return Array.isArray(value) ? value[value.length - 1] : value;
  };

  if ((single(form.honeypotField) ?? '').trim() !== '') return { kind: 'bot', reason: 'honeypot' };
  const renderedAt = parseRenderTime(single(RESERVED_FIELDS.renderedAt));
  if (
    renderedAt !== undefined &&
    context.receivedAt.getTime() - renderedAt < form.minSecondsToSubmit * 1000
  ) {
    return { kind: 'bot', reason: 'too-fast' };
  }

  const errors: FieldError[] = [];
  const rawTraits: Partial<Record<TraitName, unknown>> = {};
  for (const [trait, field] of Object.entries(form.fields) as [TraitName, string][]) {
    const value = values[field];
    if (Array.isArray(value)) errors.push({ field, message: 'must be given once' });
    else rawTraits[trait] = value;
  }
  const { traits, errors: traitErrors } = cleanTraits(rawTraits);
  for (const error of traitErrors) errors.push({ field: form.fields[error.trait]!, message: error.message });
  for (const trait of form.required) {
    const field = form.fields[trait]!;
    if (traits[trait] === undefined && !errors.some((error) => error.field === field)) {
      errors.push({ field, message: 'is required' });
    }
  }

  let consent: ConsentRecord | undefined;
  if (form.consent) {
    const given = TRUTHY.has((single(form.consent.field) ?? '').trim().toLowerCase());
    if (form.consent.required && !given)
      errors.push({ field: form.consent.field, message: 'must be accepted' });
    if (given) {
      consent = {
        formId: form.id,
        version: form.consent.version,
        text: form.consent.text,
        givenAt: context.receivedAt.toISOString(),
        marketing: true,
      };
    }
  }

  const survey: Record<string, number> = {};
  const surveyScale = (field: string | undefined, key: 'nps' | 'csat', min: number, max: number) => {
    if (!field || single(field) === undefined || single(field) === '') return;
    const answer = Number(single(field));
    if (!Number.isInteger(answer) || answer < min || answer > max) {
      errors.push({ field, message: `must be a whole number from ${min} to ${max}` });
    } else survey[key] = answer;
  };
  surveyScale(form.survey?.npsField, 'nps', 0, 10);
  surveyScale(form.survey?.csatField, 'csat', 1, 5);

  const redirectField = single(RESERVED_FIELDS.redirect);
  let redirectUrl = form.thankYouUrl;
  if (redirectField) {
    const allowed = safeRedirect(redirectField, form.allowedOrigins);
    if (allowed) redirectUrl = allowed;
    else
      errors.push({
        field: RESERVED_FIELDS.redirect,
        message: 'must be a URL on an allowed origin of this form',
      });
  }

  if (errors.length > 0) return { kind: 'invalid', errors };

  const mapped = new Set<string>([
    ...Object.values(form.fields),
    ...Object.values(RESERVED_FIELDS),
    ...UTM_FIELDS,
    form.honeypotField,
    ...(form.consent ? [form.consent.field] : []),
    ...(form.survey?.npsField ? [form.survey.npsField] : []),
    ...(form.survey?.csatField ? [form.survey.csatField] : []),
  ]);
  const extra: Record<string, unknown> = { ...nested };
  for (const [name, value] of Object.entries(values)) if (!mapped.has(name)) extra[name] = value;
  const { properties, truncated } = boundProperties({ ...extra, ...survey });

  const utm: Record<string, string> = {};
  for (const field of UTM_FIELDS) {
    const value = single(field);
    if (value) utm[field.slice(4)] = cleanLine(value, 200);
  }
  const pageUrl = single(RESERVED_FIELDS.pageUrl) ?? context.referer;
  const anonymousId = single(RESERVED_FIELDS.anonymousId);

  const submissionId = single(RESERVED_FIELDS.submissionId);
  const dedupId = submissionId
    ? `id:${cleanLine(submissionId, 200)}`
    : `content:${sha256Hex(canonicalContent(values, RESERVED_FIELDS.renderedAt))}`;
  const receivedAt = context.receivedAt.toISOString();

  return {
    kind: 'valid',
    redirectUrl,
    capture: {
      identities: {
        email: traits.email,
        ...(anonymousId ? { anonymousId: cleanLine(anonymousId, 200) } : {}),
      },
      dedup: { scope: `form:${form.id}`, id: dedupId, ttlSeconds: FORM_DEDUP_SECONDS },
      touchpoint: {
        eventId: '',
        type: 'form',
        source: `form:${form.id}`,
        name: form.id,
        occurredAt: receivedAt,
        receivedAt,
        properties,
        ...(truncated ? { propertiesTruncated: true } : {}),
        traits,
        ...(consent ? { consent } : {}),
        ...(pageUrl ? { page: pageOf(pageUrl) } : {}),
        ...(Object.keys(utm).length ? { utm } : {}),
      },
    },
  };
}

/** `_ts` as epoch milliseconds, epoch seconds or an ISO time; anything else is ignored. */
export function parseRenderTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d{9,10}$/.test(value)) return Number(value) * 1000;
  if (/^\d{12,13}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function safeRedirect(value: string, allowedOrigins: readonly string[]): string | undefined {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') &&
      originAllowed(url.origin, allowedOrigins)
      ? url.toString()
      : undefined;
  } catch {
    return undefined;
  }
}

function pageOf(value: string): { url: string; path?: string } {
  const url = cleanLine(value, 2000);
  try {
    return { url, path: new URL(url).pathname };
  } catch {
    return { url };
  }
}

function canonicalContent(values: FormValues, ignored: string): string {
  return JSON.stringify(
    Object.keys(values)
      .filter((name) => name !== ignored)
      .sort()
      .map((name) => [name, values[name]]),
  );
}
