import { randomBytes } from 'node:crypto';
import {
  type FormConfig,
  formConfigSchema,
  MAX_FORM_BYTES,
  originAllowed,
} from '../../capture/form-config.js';
import {
  type FormValues,
  formValuesFromJson,
  interpretFormSubmission,
} from '../../capture/form-submission.js';
import { recordCapture } from '../../identity/record-capture.js';
import { configIdSchema } from '../../model/config-ids.js';
import { getCurrentConfig } from '../../store/config-store.js';
import { incrementDailyCounters } from '../../store/stats.js';
import { escapeHtml } from '../../util/html.js';
import { log } from '../../util/log.js';
import { parseFormBody } from '../http/body.js';
import { badRequest, type FieldError, HttpError, notFound, toHttpError } from '../http/errors.js';
import { type HttpRequest, header, method, pathParameter, rawBody, wantsHtml } from '../http/request.js';
import { empty, type HttpResponse, html, json, redirect } from '../http/response.js';

/** POST (and OPTIONS preflight) /v1/forms/{formId} */
export async function handleFormRequest(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const plain = wantsHtml(event);
  let cors: Record<string, string> = {};
  try {
    const form = await loadForm(pathParameter(event, 'formId'));
    const origin = header(event, 'origin');
    if (origin !== undefined && origin !== 'null') {
      if (!originAllowed(origin, form.allowedOrigins))
        throw new HttpError(403, 'This origin may not post to this form');
      cors = { 'access-control-allow-origin': origin, vary: 'Origin' };
    }
    if (method(event) === 'OPTIONS') {
      if (!origin) throw badRequest([{ field: 'origin', message: 'is required for a CORS preflight' }]);
      return empty(204, {
        ...cors,
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type, accept',
        'access-control-max-age': '600',
      });
    }
    const bytes = rawBody(event, MAX_FORM_BYTES);
    const body = await parseFormBody(bytes, header(event, 'content-type') ?? '');
    let values: FormValues;
    let nested: Record<string, unknown> = {};
    if (body.kind === 'json') {
      const fromJson = formValuesFromJson(body.value);
      if ('field' in fromJson) throw badRequest([fromJson]);
      ({ values, nested } = fromJson);
    } else values = body.value;

    const referer = header(event, 'referer');
    const outcome = interpretFormSubmission(
      form,
      values,
      { receivedAt: now, ...(referer ? { referer } : {}) },
      nested,
    );
    if (outcome.kind === 'bot') {
      await incrementDailyCounters('form-bots', form.id, now, { [outcome.reason]: 1 });
      log.info('form bot dropped', { formId: form.id, reason: outcome.reason });
      // Same answer as a person gets, so a bot learns nothing from trying.
      return plain
        ? redirect(form.thankYouUrl, cors)
        : json(202, { prospectId: randomBytes(12).toString('hex') }, cors);
    }
    if (outcome.kind === 'invalid') {
      await recordFriction(form.id, outcome.errors, now);
      throw badRequest(outcome.errors, 'Some fields need attention');
    }
    const result = await recordCapture(outcome.capture, now);
    log.info('form captured', {
      formId: form.id,
      prospectId: result.prospectId,
      duplicate: result.duplicate,
    });
    return plain ? redirect(outcome.redirectUrl, cors) : json(202, { prospectId: result.prospectId }, cors);
  } catch (thrown) {
    const error = toHttpError(thrown);
    if (!error) throw thrown;
    if (plain) return html(error.statusCode, errorPage(error), { ...cors, ...error.headers });
    return json(error.statusCode, error.toJSON(), { ...cors, ...error.headers });
  }
}

async function loadForm(formId: string | undefined): Promise<FormConfig> {
  const id = configIdSchema.safeParse(formId);
  if (!id.success) throw notFound('No such form');
  const stored = await getCurrentConfig<unknown>('form', id.data);
  if (!stored) throw notFound('No such form');
  return formConfigSchema.parse(stored.document);
}

/** Failed submissions per form and field: the friction the experience report shows. */
async function recordFriction(formId: string, errors: FieldError[], now: Date) {
  const counters: Record<string, number> = { failed: 1 };
  for (const field of new Set(errors.map((error) => error.field))) counters[`field:${field}`] = 1;
  await incrementDailyCounters('form-failures', formId, now, counters);
}

function errorPage(error: HttpError): string {
  const items = error.errors.map(
    (fieldError) =>
      `<li><strong>${escapeHtml(fieldError.field)}</strong> ${escapeHtml(fieldError.message)}</li>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Please check the form</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style></head>
<body><h1>Please check the form</h1><p>${escapeHtml(error.message)}.</p>${items.length ? `<ul>${items.join('')}</ul>` : ''}
<p>Use your browser's back button to return to the form; what you typed is usually still there.</p></body></html>`;
}
