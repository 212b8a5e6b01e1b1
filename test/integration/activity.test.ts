import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as logActivity } from '../../functions/log-activity.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { getAlias } from '../../lib/store/aliases.js';
import { invoke, jsonRequest } from '../support/http.js';
import {
  drainIntoScores,
  readProspect,
  sendEvents,
  submitForm,
  useScoringTable,
} from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

const writeToken = signLocalToken(['prospects:write']);
let stream: ReturnType<typeof streamReader>;

beforeAll(async () => {
  stream = await useScoringTable();
});

const log = (prospectId: string, body: unknown, token = writeToken) =>
  invoke(logActivity, {
    ...jsonRequest('POST', `/v1/prospects/${prospectId}/touchpoints`, body, {
      authorization: `Bearer ${token}`,
    }),
    pathParameters: { id: prospectId },
  });

describe('POST /v1/prospects/{id}/touchpoints', () => {
  it('records a sales call once, as engagement', async () => {
    const prospectId = await submitForm({ email: `call-${randomUUID()}@acme.example`, company_size: '250' });
    const activityId = randomUUID();
    const first = await log(prospectId, { type: 'call', note: 'Discussed pricing', activityId });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ prospectId, duplicate: false });
    const again = await log(prospectId, { type: 'call', note: 'Discussed pricing', activityId });
    expect(again.statusCode).toBe(200);
    expect(again.json().duplicate).toBe(true);
    await drainIntoScores(stream);
    const body = (await readProspect(prospectId)).json();
    const calls = body.timeline.items.filter((item: { type: string }) => item.type === 'activity');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      name: 'call',
      source: 'sales',
      properties: { note: 'Discussed pricing' },
    });
    const score = body.scores.find((item: { icpId: string }) => item.icpId === 'saas-midmarket');
    expect(score.explanation.map((line: { text: string }) => line.text)).toContain(
      'Spoke with sales (once this week): +15',
    );
  });

  it('refuses an anonymous visitor with a 409', async () => {
    const anonymousId = randomUUID();
    await sendEvents([{ type: 'page', anonymousId, properties: { path: '/' } }]);
    const prospectId = (await getAlias({ kind: 'anon', value: anonymousId }))!;
    expect((await log(prospectId, { type: 'note' })).statusCode).toBe(409);
  });

  it.each([
    ['an unknown type', { type: 'lunch' }, 400, 'type'],
    ['a time in the future', { type: 'call', occurredAt: '2999-01-01T00:00:00Z' }, 400, 'occurredAt'],
    ['a note too long', { type: 'note', note: 'x'.repeat(5000) }, 400, 'note'],
  ])('answers %s with a 4xx naming the field', async (_name, body, status, field) => {
    const prospectId = await submitForm({ email: `bad-${randomUUID()}@acme.example` });
    const response = await log(prospectId, body);
    expect(response.statusCode).toBe(status);
    expect(response.json().errors[0].field).toBe(field);
  });

  it('answers 404 for an unknown prospect, 401 without a token, 403 without the scope', async () => {
    expect((await log('0123456789abcdef01234567', { type: 'call' })).statusCode).toBe(404);
    const prospectId = await submitForm({ email: `auth-${randomUUID()}@acme.example` });
    expect((await log(prospectId, { type: 'call' }, 'nope.nope.nope')).statusCode).toBe(401);
    expect((await log(prospectId, { type: 'call' }, signLocalToken(['prospects:read']))).statusCode).toBe(
      403,
    );
  });
});
