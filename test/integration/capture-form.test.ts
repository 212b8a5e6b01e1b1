import { beforeAll, describe, expect, it } from 'vitest';
import { handler as captureForm } from '../../functions/capture-form.js';
import { handler as getProspect } from '../../functions/get-prospect.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { getDailyCounters } from '../../lib/store/stats.js';
import { invoke, jsonRequest } from '../support/http.js';
import { useTestTable } from '../support/table.js';

const FORM_URL = '/v1/forms/demo-request';
const ORIGIN = 'http://localhost:4321';
const readToken = signLocalToken(['prospects:read']);
const post = (body: unknown, headers: Record<string, string> = {}) =>
  invoke(captureForm, {
    ...jsonRequest('POST', FORM_URL, body, { origin: ORIGIN, ...headers }),
    pathParameters: { formId: 'demo-request' },
  });
const browserPost = (body: string, headers: Record<string, string> = {}) =>
  invoke(captureForm, {
    method: 'POST',
    url: FORM_URL,
    pathParameters: { formId: 'demo-request' },
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      origin: ORIGIN,
      ...headers,
    },
    body,
  });
const lookup = (email: string) =>
  invoke(getProspect, {
    method: 'GET',
    url: `/v1/prospects?email=${encodeURIComponent(email)}`,
    headers: { authorization: `Bearer ${readToken}` },
  });

beforeAll(async () => {
  await useTestTable();
});

describe('captureForm with JSON (fetch)', () => {
  it('answers 202 with the prospect id and stores profile, consent and touchpoint', async () => {
    const response = await post({
      email: 'Grace.Hopper@Navy.example',
      first_name: 'Grace',
      company_size: '1,000',
      consent: true,
      utm_campaign: 'cobol',
    });
    expect(response.statusCode).toBe(202);
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    const { prospectId } = response.json();
    const prospect = (await lookup('grace.hopper@navy.example')).json();
    expect(prospect).toMatchObject({
      prospectId,
      lifecycle: 'prospect',
      traits: {
        email: 'Grace.Hopper@Navy.example',
        firstName: 'Grace',
        employees: 1000,
        domain: 'navy.example',
      },
      consent: { formId: 'demo-request', version: '2026-11-01', marketing: true },
    });
    expect(prospect.timeline.items).toHaveLength(1);
    expect(prospect.timeline.items[0]).toMatchObject({
      type: 'form',
      name: 'demo-request',
      utm: { campaign: 'cobol' },
    });
  });

  it('answers 400 naming each invalid field, and counts the friction', async () => {
    const response = await post({ email: 'nope', company_size: 'many' });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'email' }),
        expect.objectContaining({ field: 'company_size' }),
      ]),
    );
    const counters = await getDailyCounters('form-failures', 'demo-request', new Date());
    expect(counters.failed).toBeGreaterThanOrEqual(1);
    expect(counters['field:email']).toBeGreaterThanOrEqual(1);
  });

  it('stores a double-submitted form once', async () => {
    const body = { email: 'double@example.com', first_name: 'Double' };
    const first = await post(body);
    const second = await post(body);
    expect(second.json().prospectId).toBe(first.json().prospectId);
    expect((await lookup('double@example.com')).json().timeline.items).toHaveLength(1);
  });

  it('records a second, different submission of the same person on the same prospect', async () => {
    const first = await post({ email: 'twice@example.com', message: 'first' });
    const second = await post({ email: 'TWICE@example.com', message: 'second' });
    expect(second.json().prospectId).toBe(first.json().prospectId);
    expect((await lookup('twice@example.com')).json().timeline.items).toHaveLength(2);
  });

  it('keeps hostile input harmless: prototype keys, controls, lone surrogates, huge numbers', async () => {
    const body = `{"email":"odd@example.com","first_name":"Ro\\u0000b\\ud800ert\\r\\nInjected: x","__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"budget":1e400,"notes":"<script>alert(1)</script>"}`;
    const response = await post(body);
    expect(response.statusCode).toBe(202);
    const prospect = (await lookup('odd@example.com')).json();
    expect(prospect.traits.firstName).toBe('Rob\uFFFDert Injected: x');
    // 1e400 is beyond a double: dropped, and the touchpoint says something was left out.
    expect(prospect.timeline.items[0].properties).toEqual({ notes: '<script>alert(1)</script>' });
    expect(prospect.timeline.items[0].propertiesTruncated).toBe(true);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('captureForm from a browser (no JavaScript)', () => {
  it('answers 303 See Other to the thank-you URL', async () => {
    const response = await browserPost('email=ada%40example.com&first_name=Ada&consent=yes');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('http://localhost:3001/thanks.html');
    expect((await lookup('ada@example.com')).statusCode).toBe(200);
  });

  it('redirects to an allowed _redirect URL', async () => {
    const response = await browserPost(
      'email=redirect%40example.com&_redirect=http%3A%2F%2F127.0.0.1%3A9000%2Fdone',
    );
    expect(response.headers.location).toBe('http://127.0.0.1:9000/done');
  });

  it('shows a readable HTML page naming the field when invalid, with nothing escaped wrongly', async () => {
    const response = await browserPost('email=%3Cscript%3E');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('<strong>email</strong> must be an email address');
    expect(response.body).not.toContain('<script>');
  });

  it('accepts multipart/form-data', async () => {
    const boundary = '----form';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\nmulti@example.com\r\n--${boundary}--\r\n`;
    const response = await browserPost(body, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(response.statusCode).toBe(303);
    expect((await lookup('multi@example.com')).statusCode).toBe(200);
  });
});

describe('captureForm against bots', () => {
  it('gives a honeypot bot the same success, stores nothing and counts it', async () => {
    const before = (await getDailyCounters('form-bots', 'demo-request', new Date())).honeypot ?? 0;
    const plain = await browserPost('email=bot%40spam.example&_hp=http%3A%2F%2Fspam');
    const fetched = await post({ email: 'bot2@spam.example', _hp: 'x' });
    expect(plain.statusCode).toBe(303);
    expect(plain.headers.location).toBe('http://localhost:3001/thanks.html');
    expect(fetched.statusCode).toBe(202);
    expect(fetched.json().prospectId).toMatch(/^[a-f0-9]{24}$/);
    expect((await lookup('bot@spam.example')).statusCode).toBe(404);
    expect((await lookup('bot2@spam.example')).statusCode).toBe(404);
    expect((await getDailyCounters('form-bots', 'demo-request', new Date())).honeypot).toBe(before + 2);
  });

  it('treats a submission faster than the form allows as a bot', async () => {
    const response = await post({ email: 'quick@example.com', _ts: String(Date.now()) });
    expect(response.statusCode).toBe(202);
    expect((await lookup('quick@example.com')).statusCode).toBe(404);
    expect(
      (await getDailyCounters('form-bots', 'demo-request', new Date()))['too-fast'],
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('captureForm boundaries', () => {
  it('answers a CORS preflight from an allowed origin', async () => {
    const response = await invoke(captureForm, {
      method: 'OPTIONS',
      url: FORM_URL,
      pathParameters: { formId: 'demo-request' },
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST' },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    expect(response.headers['access-control-allow-methods']).toContain('POST');
  });

  it('refuses an origin that is not allowed, preflight or post, and stores nothing', async () => {
    const preflight = await invoke(captureForm, {
      method: 'OPTIONS',
      url: FORM_URL,
      pathParameters: { formId: 'demo-request' },
      headers: { origin: 'https://evil.example' },
    });
    expect(preflight.statusCode).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const response = await post({ email: 'evil@example.com' }, { origin: 'https://evil.example' });
    expect(response.statusCode).toBe(403);
    expect((await lookup('evil@example.com')).statusCode).toBe(404);
  });

  it.each([
    ['an unknown form', { url: '/v1/forms/nope', pathParameters: { formId: 'nope' } }, 404, undefined],
    ['a body over 64 KB', { body: JSON.stringify({ email: 'a@b.co', x: 'y'.repeat(70_000) }) }, 413, 'body'],
    [
      'an unsupported content type',
      { headers: { 'content-type': 'text/csv', accept: 'application/json' }, body: 'email\na@b.co' },
      415,
      'content-type',
    ],
    ['malformed JSON', { body: '{"email": "a@b.co"' }, 400, 'body'],
    ['10,000-deep JSON', { body: `${'['.repeat(10_000)}${']'.repeat(10_000)}` }, 400, 'body'],
    ['a JSON array', { body: '[1,2]' }, 400, 'body'],
    ['invalid UTF-8', { body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) }, 400, 'body'],
  ] as const)(
    'answers %s with a 4xx naming the field, never a 500',
    async (_name, override, status, field) => {
      const request = {
        ...jsonRequest('POST', FORM_URL, '{}', { origin: ORIGIN }),
        pathParameters: { formId: 'demo-request' },
        ...override,
      };
      const response = await invoke(captureForm, request as never);
      expect(response.statusCode).toBe(status);
      const body = response.json();
      if (field) expect(body.errors[0].field).toBe(field);
      expect(response.body).not.toMatch(/at .*\.(ts|js):\d+|stack/i);
    },
  );
});
