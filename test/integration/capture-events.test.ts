import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as captureEvents } from '../../functions/capture-events.js';
import { handler as getProspect } from '../../functions/get-prospect.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { basicAuth, invoke, jsonRequest } from '../support/http.js';
import { useTestTable } from '../support/table.js';

const auth = { authorization: basicAuth('demo-write-key') };
const send = (call: string, body: unknown, headers: Record<string, string> = auth) =>
  invoke(captureEvents, jsonRequest('POST', `/v1/${call}`, body, headers));
const readToken = signLocalToken(['prospects:read']);
const byEmail = async (email: string) =>
  (
    await invoke(getProspect, {
      method: 'GET',
      url: `/v1/prospects?email=${encodeURIComponent(email)}&limit=200`,
      headers: { authorization: `Bearer ${readToken}` },
    })
  ).json();

beforeAll(async () => {
  await useTestTable();
});

describe('captureEvents authentication', () => {
  it('answers 401 without a write key, and with an unknown one', async () => {
    const event = { type: 'track', event: 'x', anonymousId: 'a' };
    const none = await send('track', event, {});
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Basic');
    expect((await send('track', event, { authorization: basicAuth('wrong-key') })).statusCode).toBe(401);
  });

  it('accepts the write key in the body, as analytics.js sends it', async () => {
    const response = await send(
      'track',
      { event: 'Signed Up', anonymousId: randomUUID(), writeKey: 'demo-write-key' },
      { 'content-type': 'text/plain' },
    );
    expect(response.statusCode).toBe(200);
  });
});

describe('captureEvents storage', () => {
  it('stores a batch once: replaying it adds nothing', async () => {
    const email = `replay-${randomUUID()}@example.com`;
    const batch = {
      batch: [
        { type: 'identify', userId: `u-${email}`, traits: { email }, messageId: `${email}-1` },
        { type: 'track', userId: `u-${email}`, event: 'Viewed Pricing', messageId: `${email}-2` },
        {
          type: 'page',
          userId: `u-${email}`,
          name: 'Docs',
          properties: { path: '/docs' },
          messageId: `${email}-3`,
        },
      ],
      sentAt: new Date().toISOString(),
    };
    expect((await send('batch', batch)).json()).toEqual({ success: true, accepted: 3 });
    expect((await send('batch', { ...batch, sentAt: new Date().toISOString() })).statusCode).toBe(200);
    const prospect = await byEmail(email);
    expect(prospect.timeline.items.map((item: { type: string }) => item.type).sort()).toEqual([
      'identify',
      'page',
      'track',
    ]);
  });

  it('corrects the client clock: receivedAt - (sentAt - timestamp)', async () => {
    const email = `skew-${randomUUID()}@example.com`;
    // The client's clock runs a day fast; the event happened 10 s before it was sent.
    const clientNow = Date.now() + 86_400_000;
    const before = Date.now();
    await send('identify', {
      userId: email,
      traits: { email },
      timestamp: new Date(clientNow - 10_000).toISOString(),
      sentAt: new Date(clientNow).toISOString(),
    });
    const occurredAt = Date.parse((await byEmail(email)).timeline.items[0].occurredAt);
    expect(occurredAt).toBeGreaterThanOrEqual(before - 10_000 - 50);
    expect(occurredAt).toBeLessThanOrEqual(Date.now() - 10_000 + 50);
  });

  it('stores the good events of a batch with a bad one and names the bad one', async () => {
    const email = `partial-${randomUUID()}@example.com`;
    const response = await send('batch', {
      batch: [
        { type: 'identify', userId: email, traits: { email } },
        { type: 'track', userId: email },
        { type: 'track', userId: email, event: 'Kept' },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ accepted: 2, errors: [{ field: 'batch[1].event' }] });
    expect((await byEmail(email)).timeline.items).toHaveLength(2);
  });

  it('refuses a batch over 500 KB with 413 and an event over 32 KB with 413, saying which limit', async () => {
    const big = (
      await send('batch', {
        batch: [{ type: 'track', event: 'x', anonymousId: 'a', properties: { blob: 'x'.repeat(520_000) } }],
      })
    ).json();
    expect(big.errors[0]).toEqual({ field: 'batch', message: 'must be at most 500 KB' });
    const response = await send('track', {
      event: 'x',
      anonymousId: 'a',
      properties: { blob: 'x'.repeat(33_000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().errors[0]).toEqual({ field: 'event', message: 'must be at most 32 KB' });
  });

  it('refuses an event over 32 KB inside a batch but keeps its neighbours', async () => {
    const anonymousId = randomUUID();
    const response = await send('batch', {
      batch: [
        { type: 'track', event: 'Huge', anonymousId, properties: { blob: 'x'.repeat(33_000) } },
        { type: 'identify', anonymousId, traits: { email: `${anonymousId}@example.com` } },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { field: 'batch[0]', message: 'exceeds the 32 KB limit per event' },
    ]);
    expect((await byEmail(`${anonymousId}@example.com`)).timeline.items).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', '{"batch": [', 400],
    ['an empty batch', { batch: [] }, 400],
    ['XML', '<batch/>', 415],
  ])('answers %s with a 4xx naming the field', async (_name, body, status) => {
    const headers = status === 415 ? { ...auth, 'content-type': 'application/xml' } : auth;
    const response = await invoke(captureEvents, {
      ...jsonRequest('POST', '/v1/batch', body),
      headers: { 'content-type': 'application/json', ...headers },
    });
    expect(response.statusCode).toBe(status);
    expect(response.json().errors[0].field).toBeTruthy();
  });
});

describe('identity stitching', () => {
  it('gives anonymous page views to the prospect the visitor turns out to be: none lost, none twice', async () => {
    const anonymousId = randomUUID();
    const email = `stitch-${anonymousId}@example.com`;
    for (const path of ['/', '/pricing', '/docs']) {
      await send('page', {
        anonymousId,
        name: path,
        properties: { path },
        messageId: `${anonymousId}${path}`,
      });
    }
    await send('identify', {
      anonymousId,
      userId: `user-${anonymousId}`,
      traits: { email, firstName: 'Stitch' },
    });
    await send('track', { anonymousId, userId: `user-${anonymousId}`, event: 'Trial Started' });
    // A later anonymous event from the same browser still lands on the known prospect.
    await send('page', { anonymousId, name: 'after', properties: { path: '/after' } });
    const prospect = await byEmail(email);
    const names = prospect.timeline.items
      .map((item: { type: string; name?: string }) => item.name ?? item.type)
      .sort();
    expect(names).toEqual(['/', '/docs', '/pricing', 'Trial Started', 'after', 'identify']);
    expect(prospect.identities).toEqual({ userId: `user-${anonymousId}`, anonymousIds: [anonymousId] });
    expect(prospect.traits.firstName).toBe('Stitch');
  });

  it('joins a visitor to a known prospect on an alias call', async () => {
    const anonymousId = randomUUID();
    const email = `form-${anonymousId}@example.com`;
    await send('page', { anonymousId, name: 'Pricing' });
    await send('identify', { userId: `u-${anonymousId}`, traits: { email } });
    // The known prospect (by userId + email) and the visitor are different prospects until the alias call.
    expect((await byEmail(email)).timeline.items).toHaveLength(1);
    await send('batch', { batch: [{ type: 'alias', userId: `u-${anonymousId}`, previousId: anonymousId }] });
    const prospect = await byEmail(email);
    expect(
      prospect.timeline.items.map((item: { name?: string; type: string }) => item.name ?? item.type).sort(),
    ).toEqual(['Pricing', 'alias', 'identify']);
  });

  it('never merges two different known people who share a browser', async () => {
    const anonymousId = randomUUID();
    const first = `first-${anonymousId}@example.com`;
    const second = `second-${anonymousId}@example.com`;
    await send('identify', { anonymousId, userId: `a-${anonymousId}`, traits: { email: first } });
    await send('identify', { anonymousId, userId: `b-${anonymousId}`, traits: { email: second } });
    await send('page', { anonymousId, name: 'Later' });
    const [one, two] = [await byEmail(first), await byEmail(second)];
    expect(one.prospectId).not.toBe(two.prospectId);
    expect(one.timeline.items).toHaveLength(1);
    // The browser now belongs to whoever identified last.
    expect(
      two.timeline.items.map((item: { name?: string; type: string }) => item.name ?? item.type).sort(),
    ).toEqual(['Later', 'identify']);
  });

  it('stitches correctly when a visitor’s events arrive concurrently from several requests', async () => {
    const anonymousId = randomUUID();
    const email = `concurrent-${anonymousId}@example.com`;
    const pages = Array.from({ length: 12 }, (_, index) => ({
      type: 'page',
      anonymousId,
      name: `p${index}`,
      messageId: `${anonymousId}-p${index}`,
    }));
    const identify = { type: 'identify', anonymousId, traits: { email }, messageId: `${anonymousId}-id` };
    await Promise.all([
      ...pages.map((page) => send('batch', { batch: [page] })),
      send('batch', { batch: [identify] }),
      ...pages.slice(0, 4).map((page) => send('batch', { batch: [page] })),
    ]);
    // One more event after the dust settles completes any merge a race left for later.
    await send('batch', {
      batch: [{ type: 'track', anonymousId, event: 'Settled', messageId: `${anonymousId}-settled` }],
    });
    const prospect = await byEmail(email);
    const names = prospect.timeline.items.map(
      (item: { name?: string; type: string }) => item.name ?? item.type,
    );
    expect(names.sort()).toEqual([...pages.map((page) => page.name), 'Settled', 'identify'].sort());
  });

  it('yields each message exactly once for any order and number of replays (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 14 }),
        fc.boolean(),
        async (sequence, identifyFirst) => {
          const run = randomUUID();
          const email = `prop-${run}@example.com`;
          const messages = Array.from({ length: 6 }, (_, index) => ({
            type: 'track',
            anonymousId: run,
            event: `e${index}`,
            messageId: `${run}-${index}`,
          }));
          const identify = {
            type: 'identify',
            anonymousId: run,
            traits: { email },
            messageId: `${run}-identify`,
          };
          const calls = sequence.map((index) => messages[index]!);
          const ordered = identifyFirst
            ? [identify, ...calls, identify]
            : [...calls, identify, ...calls.slice(0, 2)];
          for (let i = 0; i < ordered.length; i += 3) await send('batch', { batch: ordered.slice(i, i + 3) });
          const prospect = await byEmail(email);
          const expected = [...new Set(sequence)].map((index) => `e${index}`);
          const stored = prospect.timeline.items
            .filter((item: { type: string }) => item.type === 'track')
            .map((item: { name: string }) => item.name);
          expect(stored.sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: 15 },
    );
  });
});
