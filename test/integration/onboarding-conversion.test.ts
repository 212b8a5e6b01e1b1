import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as convertProspect } from '../../functions/convert-prospect.js';
import { handler as manageConfig } from '../../functions/manage-config.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { signWebhook } from '../../lib/edge/http/webhook-signature.js';
import { invoke, jsonRequest } from '../support/http.js';
import {
  convert,
  customer,
  onboardingOf,
  RETIRED_WEBHOOK_SECRET,
  WEBHOOK_SECRET,
} from '../support/onboarding.js';
import { readProspect, submitForm, useScoringTable } from '../support/scoring.js';

vi.hoisted(() => {
  process.env.WEBHOOK_SECRETS = 'webhook-secret-current-0123456789, webhook-secret-retired-0123456789';
});

const adminToken = signLocalToken(['admin']);

beforeAll(async () => {
  await useScoringTable();
});

const putConfig = (kind: string, id: string, document: unknown) =>
  invoke(manageConfig, {
    ...jsonRequest('PUT', `/v1/config/${kind}/${id}`, document, { authorization: `Bearer ${adminToken}` }),
    pathParameters: { kind, id },
  });

describe('POST /v1/conversions', () => {
  it('makes the prospect a customer and enrolls them in the first matching sequence', async () => {
    const tag = randomUUID();
    const prospectId = await customer(tag);
    const response = await convert({ email: `cto-${tag}@acme.example`, plan: 'pro' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ prospectId, sequenceId: 'saas-midmarket-onboarding' });

    const prospect = (await readProspect(prospectId)).json();
    expect(prospect).toMatchObject({ lifecycle: 'customer', plan: 'pro' });
    expect(prospect.timeline.items[0]).toMatchObject({ type: 'conversion', name: 'pro' });
    expect(prospect.onboarding.decision).toMatchObject({
      sequenceId: 'saas-midmarket-onboarding',
      reason: 'saas-midmarket-onboarding (priority 10) matches',
    });
    expect(prospect.onboarding.enrollments).toEqual([
      expect.objectContaining({
        sequenceId: 'saas-midmarket-onboarding',
        status: 'active',
        steps: [],
        expectations: [],
        nextDueAt: expect.any(String),
      }),
    ]);
  });

  it('enrolls nobody twice when the same conversion is replayed, or a later one arrives', async () => {
    const tag = randomUUID();
    const prospectId = await customer(tag);
    const body = { email: `cto-${tag}@acme.example`, occurredAt: '2026-11-20T10:00:00Z' };
    const answers = await Promise.all([convert(body), convert(body), convert(body)]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    await convert({ ...body, plan: 'business', occurredAt: '2026-11-21T10:00:00Z' });

    const prospect = (await readProspect(prospectId)).json();
    expect(prospect.onboarding.enrollments).toHaveLength(1);
    expect(
      prospect.timeline.items.filter((item: { type: string }) => item.type === 'conversion'),
    ).toHaveLength(2);
  });

  it('creates the customer when the address is new, and records why no sequence matched', async () => {
    const email = `new-${randomUUID()}@gmail.example`;
    const response = await convert({ email });
    expect(response.statusCode).toBe(202);
    const { prospectId, sequenceId } = response.json();
    expect(sequenceId).toBeNull();
    const onboarding = await onboardingOf(prospectId);
    expect(onboarding.enrollments).toEqual([]);
    expect(onboarding.decision?.reason).toBe(
      'no sequence matches: saas-midmarket-onboarding (priority 10) needs grade A or B on saas-midmarket (has D on saas-midmarket); default-onboarding (priority 100) needs plan starter or pro or business (has no plan)',
    );
  });

  it('uses the lower-priority catch-all when the customer fits only that one', async () => {
    const response = await convert({ email: `small-${randomUUID()}@example.org`, plan: 'Starter' });
    expect(response.json().sequenceId).toBe('default-onboarding');
  });

  it('accepts a signature made with the retired secret during a rotation', async () => {
    const response = await convert(
      { email: `rotate-${randomUUID()}@example.org` },
      { secret: RETIRED_WEBHOOK_SECRET },
    );
    expect(response.statusCode).toBe(202);
  });

  it('refuses a wrong, altered, expired or missing signature with 401 naming X-Signature', async () => {
    const body = JSON.stringify({ email: `bad-${randomUUID()}@example.org` });
    const now = Math.floor(Date.now() / 1000);
    const send = (headers: Record<string, string>, raw = body) =>
      invoke(convertProspect, {
        method: 'POST',
        url: '/v1/conversions',
        headers: { 'content-type': 'application/json', ...headers },
        body: raw,
      });
    const cases: Record<string, string>[] = [
      { 'x-signature': signWebhook(body, 'some-other-secret-0123456789', now) },
      { 'x-signature': signWebhook(body, WEBHOOK_SECRET, now) },
      { 'x-signature': signWebhook(body, WEBHOOK_SECRET, now - 301) },
      { 'x-signature': 't=abc' },
      {},
    ];
    const altered = body.replace('bad-', 'bad2-');
    const responses = [
      await send(cases[0]!),
      await send(cases[1]!, altered),
      await send(cases[2]!),
      await send(cases[3]!),
      await send(cases[4]!),
    ];
    for (const response of responses) {
      expect(response.statusCode).toBe(401);
      expect(response.json().errors[0].field).toBe('X-Signature');
    }
    expect(responses[2]!.json().errors[0].message).toMatch(/older than 300 seconds/);
  });

  it('accepts a prospects:write bearer token locally, and refuses a read-only one', async () => {
    const body = { email: `token-${randomUUID()}@example.org` };
    const withToken = (scope: string) =>
      invoke(
        convertProspect,
        jsonRequest('POST', '/v1/conversions', body, { authorization: `Bearer ${signLocalToken([scope])}` }),
      );
    expect((await withToken('prospects:write')).statusCode).toBe(202);
    expect((await withToken('prospects:read')).statusCode).toBe(403);
  });

  it('names each bad field with a 400', async () => {
    const response = await convert({ email: 'not-an-address', plan: '', occurredAt: 'yesterday' });
    expect(response.statusCode).toBe(400);
    expect(
      response
        .json()
        .errors.map((error: { field: string }) => error.field)
        .sort(),
    ).toEqual(['email', 'occurredAt', 'plan']);
    const future = await convert({
      email: 'a@example.org',
      occurredAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(future.json().errors).toEqual([{ field: 'occurredAt', message: 'must not be in the future' }]);
    const unknown = await convert({ email: 'a@example.org', prospectId: 'a'.repeat(24) });
    expect(unknown.json().errors).toEqual([{ field: 'prospectId', message: 'is not a known prospect' }]);
    const key = await convert({ email: 'a@example.org' }, { headers: { 'idempotency-key': 'has space' } });
    expect(key.json().errors[0].field).toBe('Idempotency-Key');
  });

  it('takes an Idempotency-Key over the body hash', async () => {
    const tag = randomUUID();
    const prospectId = await submitForm({ email: `key-${tag}@example.org` });
    const headers = { 'idempotency-key': `crm-${tag}` };
    await convert({ email: `key-${tag}@example.org`, plan: 'pro' }, { headers });
    await convert({ email: `key-${tag}@example.org`, plan: 'business' }, { headers });
    const timeline = (await readProspect(prospectId)).json().timeline.items;
    expect(timeline.filter((item: { type: string }) => item.type === 'conversion')).toHaveLength(1);
  });
});

describe('sequence and template config', () => {
  it('refuses a template that mentions a field templates cannot use, naming the field', async () => {
    const response = await putConfig('templates', 'bad-template', {
      subject: 'Hi {{firstName}}',
      text: 'Call us on {{phone}}',
      html: '<p>{{unknownThing}}</p>',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { field: 'text', message: 'unknown placeholder {{phone}} at line 1, column 12' },
      { field: 'html', message: 'unknown placeholder {{unknownThing}} at line 1, column 4' },
    ]);
  });

  it('refuses a sequence whose step names a missing template, or that sets a promise no email tells', async () => {
    const response = await putConfig('sequences', 'bad-sequence', {
      name: 'Bad',
      priority: 5,
      steps: [
        { id: 'one', template: 'no-such-template' },
        { id: 'two', template: 'tips' },
      ],
      sendWindow: { days: ['mon'], from: '09:00', to: '17:00' },
      expectations: [
        { id: 'callback', text: 'We call you back', kind: 'first-response', within: { hours: 4 } },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { field: 'steps.0.template', message: 'no template "no-such-template" exists' },
      {
        field: 'expectations.0',
        message: "no step's template mentions {{expectations.callback}}: a promise must be told",
      },
    ]);
  });

  it('stores a valid template and sequence as new versions', async () => {
    const template = await putConfig('templates', 'short-hello', {
      subject: 'Hello {{firstName|there}}',
      text: 'Hello. {{expectations.callback}}. {{unsubscribeUrl}}',
      html: '<p>Hello. {{expectations.callback}}.</p>',
    });
    expect(template.statusCode).toBe(201);
    const sequence = await putConfig('sequences', 'callback-sequence', {
      name: 'Callback',
      priority: 1000,
      match: { plans: ['enterprise-trial'] },
      steps: [{ id: 'hello', template: 'short-hello' }],
      sendWindow: { days: ['mon', 'tue'], from: '09:00', to: '17:00' },
      expectations: [
        { id: 'callback', text: 'We call you back', kind: 'first-response', within: { hours: 4 } },
      ],
    });
    expect(sequence.statusCode).toBe(201);
    expect(sequence.json()).toMatchObject({ kind: 'sequence', id: 'callback-sequence', version: 1 });
  });
});
