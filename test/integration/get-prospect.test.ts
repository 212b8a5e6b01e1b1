import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as captureEvents } from '../../functions/capture-events.js';
import { handler as captureForm } from '../../functions/capture-form.js';
import { handler as getProspect } from '../../functions/get-prospect.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { basicAuth, invoke, jsonRequest } from '../support/http.js';
import { useTestTable } from '../support/table.js';

const readToken = signLocalToken(['prospects:read']);
const get = (url: string, token = readToken) =>
  invoke(getProspect, {
    method: 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(url.startsWith('/v1/prospects/')
      ? { pathParameters: { id: url.split('/')[3]!.split('?')[0]! } }
      : {}),
  });

const anonymousId = randomUUID();
const email = `timeline-${anonymousId}@example.com`;
let prospectId: string;

beforeAll(async () => {
  await useTestTable();
  const pages = Array.from({ length: 7 }, (_, index) => ({
    type: 'page',
    anonymousId,
    name: `page-${index}`,
    timestamp: new Date(Date.UTC(2026, 10, 1, 12, index)).toISOString(),
  }));
  await invoke(
    captureEvents,
    jsonRequest('POST', '/v1/batch', { batch: pages }, { authorization: basicAuth('demo-write-key') }),
  );
  // The form carries the visitor's anonymousId, so the earlier page views join the prospect it creates.
  const form = await invoke(captureForm, {
    ...jsonRequest('POST', '/v1/forms/demo-request', { email, first_name: 'Tim', anonymousId }),
    pathParameters: { formId: 'demo-request' },
  });
  prospectId = form.json().prospectId;
});

describe('getProspect', () => {
  it('finds a prospect by email, whatever its case', async () => {
    const response = await get(`/v1/prospects?email=${encodeURIComponent(email.toUpperCase())}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      prospectId,
      traits: { email, firstName: 'Tim' },
      identities: { anonymousIds: [anonymousId] },
    });
  });

  it('pages the timeline newest first with a cursor until every touchpoint was seen once', async () => {
    const seen: string[] = [];
    let url = `/v1/prospects/${prospectId}?limit=3`;
    for (let page = 0; page < 10; page++) {
      const body = (await get(url)).json();
      seen.push(...body.timeline.items.map((item: { name: string }) => item.name));
      if (!body.timeline.nextCursor) break;
      url = `/v1/prospects/${prospectId}?limit=3&cursor=${encodeURIComponent(body.timeline.nextCursor)}`;
    }
    expect(seen).toEqual([
      'demo-request',
      'page-6',
      'page-5',
      'page-4',
      'page-3',
      'page-2',
      'page-1',
      'page-0',
    ]);
  });

  it('answers 400 for a forged cursor or a cursor from another prospect', async () => {
    const first = (await get(`/v1/prospects/${prospectId}?limit=1`)).json();
    const forged = `${Buffer.from(JSON.stringify({ PK: 'P#someone-else', SK: 'T#' })).toString('base64url')}.${first.timeline.nextCursor.split('.')[1]}`;
    const response = await get(`/v1/prospects/${prospectId}?cursor=${forged}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    const other = (await get(`/v1/prospects?email=${encodeURIComponent('nobody@example.com')}`)).statusCode;
    expect(other).toBe(404);
  });

  it('answers 401 without a token and 403 without the scope', async () => {
    expect((await get(`/v1/prospects/${prospectId}`, '')).statusCode).toBe(401);
    expect((await get(`/v1/prospects/${prospectId}`, signLocalToken(['prospects:write']))).statusCode).toBe(
      403,
    );
  });

  it.each([
    ['an unknown id', '/v1/prospects/0123456789abcdef01234567', 404, undefined],
    ['a malformed id', '/v1/prospects/..%2F..', 404, undefined],
    ['a bad email', '/v1/prospects?email=nope', 400, 'email'],
    ['no email', '/v1/prospects', 400, 'email'],
    ['a limit over 200', `/v1/prospects/0123456789abcdef01234567?limit=500`, 400, 'limit'],
  ])('answers %s with a 4xx naming the field', async (_name, url, status, field) => {
    const response = await get(url);
    expect(response.statusCode).toBe(status);
    if (field) expect(response.json().errors[0].field).toBe(field);
  });
});
