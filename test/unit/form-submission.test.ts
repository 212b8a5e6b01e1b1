import { describe, expect, it } from 'vitest';
import demoRequest from '../../config/example/forms/demo-request.json' with { type: 'json' };
import { type FormConfig, formConfigSchema, originAllowed } from '../../lib/capture/form-config.js';
import {
  formValuesFromJson,
  interpretFormSubmission,
  parseRenderTime,
} from '../../lib/capture/form-submission.js';

const form: FormConfig = formConfigSchema.parse({
  ...demoRequest,
  consent: { ...demoRequest.consent, required: true },
  survey: { npsField: 'nps' },
});
const receivedAt = new Date('2026-11-24T10:00:00.000Z');
const context = { receivedAt };

const valid = {
  email: ' Ada@Example.com ',
  first_name: 'Ada',
  last_name: 'Lovelace',
  company_size: '51-200',
  consent: 'on',
};

describe('interpretFormSubmission', () => {
  it('maps configured fields onto traits and keeps the address as given (trimmed)', () => {
    const outcome = interpretFormSubmission(form, valid, context);
    expect(outcome.kind).toBe('valid');
    if (outcome.kind !== 'valid') return;
    expect(outcome.capture.touchpoint.traits).toEqual({
      email: 'Ada@Example.com',
      domain: 'example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      name: 'Ada Lovelace',
      employees: 51,
    });
    expect(outcome.capture.identities).toEqual({ email: 'Ada@Example.com' });
    expect(outcome.redirectUrl).toBe(form.thankYouUrl);
  });

  it('stores consent as proof: form, version, text and time', () => {
    const outcome = interpretFormSubmission(form, valid, context);
    if (outcome.kind !== 'valid') throw new Error(outcome.kind);
    expect(outcome.capture.touchpoint.consent).toEqual({
      formId: 'demo-request',
      version: form.consent!.version,
      text: form.consent!.text,
      givenAt: receivedAt.toISOString(),
      marketing: true,
    });
  });

  it('names every invalid field', () => {
    const outcome = interpretFormSubmission(
      form,
      { email: 'not-an-email', company_size: 'lots', nps: '11' },
      context,
    );
    expect(outcome).toEqual({
      kind: 'invalid',
      errors: expect.arrayContaining([
        { field: 'email', message: 'must be an email address' },
        { field: 'company_size', message: expect.stringContaining('whole number') },
        { field: 'consent', message: 'must be accepted' },
        { field: 'nps', message: 'must be a whole number from 0 to 10' },
      ]),
    });
  });

  it('reports a missing required field as required', () => {
    expect(interpretFormSubmission(form, { consent: 'on' }, context)).toEqual({
      kind: 'invalid',
      errors: [{ field: 'email', message: 'is required' }],
    });
  });

  it('treats a filled honeypot as a bot', () => {
    expect(interpretFormSubmission(form, { ...valid, _hp: 'http://spam.example' }, context)).toEqual({
      kind: 'bot',
      reason: 'honeypot',
    });
  });

  it('treats a submission faster than minSecondsToSubmit as a bot, and a slower one as a person', () => {
    const fast = String(receivedAt.getTime() - 500);
    const slow = String(receivedAt.getTime() - 5000);
    expect(interpretFormSubmission(form, { ...valid, _ts: fast }, context)).toEqual({
      kind: 'bot',
      reason: 'too-fast',
    });
    expect(interpretFormSubmission(form, { ...valid, _ts: slow }, context).kind).toBe('valid');
  });

  it('redirects only to URLs on an allowed origin', () => {
    const allowed = interpretFormSubmission(
      form,
      { ...valid, _redirect: 'http://localhost:8080/thanks?x=1' },
      context,
    );
    expect(allowed.kind === 'valid' && allowed.redirectUrl).toBe('http://localhost:8080/thanks?x=1');
    const evil = interpretFormSubmission(
      form,
      { ...valid, _redirect: 'https://evil.example/phish' },
      context,
    );
    expect(evil).toEqual({ kind: 'invalid', errors: [{ field: '_redirect', message: expect.any(String) }] });
  });

  it('keeps unknown fields as bounded properties, never reserved or mapped ones', () => {
    const outcome = interpretFormSubmission(
      form,
      { ...valid, favourite_colour: 'teal', _ts: '1', utm_source: 'ads', nps: '9' },
      context,
    );
    if (outcome.kind !== 'valid') throw new Error(outcome.kind);
    expect(outcome.capture.touchpoint.properties).toEqual({ favourite_colour: 'teal', nps: 9 });
    expect(outcome.capture.touchpoint.utm).toEqual({ source: 'ads' });
  });

  it('uses the Referer as page URL when the form has no page_url field', () => {
    const outcome = interpretFormSubmission(form, valid, {
      receivedAt,
      referer: 'http://localhost:3001/pricing?plan=pro',
    });
    if (outcome.kind !== 'valid') throw new Error(outcome.kind);
    expect(outcome.capture.touchpoint.page).toEqual({
      url: 'http://localhost:3001/pricing?plan=pro',
      path: '/pricing',
    });
  });

  it('dedupes identical content and honours an explicit submission id', () => {
    const first = interpretFormSubmission(
      form,
      { ...valid, _ts: String(receivedAt.getTime() - 9000) },
      context,
    );
    const again = interpretFormSubmission(
      form,
      { ...valid, _ts: String(receivedAt.getTime() - 5000) },
      context,
    );
    const other = interpretFormSubmission(form, { ...valid, first_name: 'Augusta' }, context);
    const byId = interpretFormSubmission(form, { ...valid, _submission_id: 'abc' }, context);
    if (first.kind !== 'valid' || again.kind !== 'valid' || other.kind !== 'valid' || byId.kind !== 'valid')
      throw new Error('invalid');
    expect(again.capture.dedup).toEqual(first.capture.dedup);
    expect(other.capture.dedup.id).not.toBe(first.capture.dedup.id);
    expect(byId.capture.dedup.id).toBe('id:abc');
  });

  it('refuses a field given twice where one value is expected', () => {
    const outcome = interpretFormSubmission(
      form,
      { ...valid, email: ['a@example.com', 'b@example.com'] },
      context,
    );
    expect(outcome).toEqual({ kind: 'invalid', errors: [{ field: 'email', message: 'must be given once' }] });
  });
});

describe('formValuesFromJson', () => {
  it('turns scalars into strings and keeps nested values apart', () => {
    expect(
      formValuesFromJson({
        email: 'a@b.co',
        consent: true,
        size: 250,
        tags: ['x', 1],
        extra: { a: 1 },
        empty: null,
      }),
    ).toEqual({
      values: expect.objectContaining({ email: 'a@b.co', consent: 'true', size: '250', tags: ['x', '1'] }),
      nested: { extra: { a: 1 } },
    });
  });

  it('names body when the JSON is not an object', () => {
    expect(formValuesFromJson([1, 2])).toEqual({ field: 'body', message: expect.any(String) });
  });
});

describe('originAllowed', () => {
  it('matches exact origins and any port for :* patterns', () => {
    const patterns = ['http://localhost:*', 'https://www.example.com'];
    expect(originAllowed('http://localhost:5173', patterns)).toBe(true);
    expect(originAllowed('https://www.example.com', patterns)).toBe(true);
    expect(originAllowed('http://localhost.evil.example', patterns)).toBe(false);
    expect(originAllowed('http://localhost:80/x', patterns)).toBe(false);
    expect(originAllowed('https://www.example.com.evil.example', patterns)).toBe(false);
  });
});

describe('parseRenderTime', () => {
  it('reads epoch milliseconds, epoch seconds and ISO times', () => {
    expect(parseRenderTime('1795500000000')).toBe(1795500000000);
    expect(parseRenderTime('1795500000')).toBe(1795500000000);
    expect(parseRenderTime('2026-11-24T10:00:00Z')).toBe(Date.parse('2026-11-24T10:00:00Z'));
    expect(parseRenderTime('soon')).toBeUndefined();
  });
});

describe('formConfigSchema', () => {
  it('refuses a required trait without a field mapping', () => {
    const result = formConfigSchema.safeParse({
      ...demoRequest,
      fields: { email: 'email' },
      required: ['email', 'company'],
    });
    expect(result.success).toBe(false);
  });
});
