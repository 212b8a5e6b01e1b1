import { describe, expect, it } from 'vitest';
import { correctedTimestamp, MAX_EVENT_BYTES, normaliseSegmentEvent } from '../../lib/capture/segment.js';

const receivedAt = new Date('2026-11-24T12:00:00.000Z');
const options = { sourceId: 'website', receivedAt, dedupTtlSeconds: 86_400 };

describe('correctedTimestamp', () => {
  it('applies receivedAt - (sentAt - timestamp) for a client clock that is off', () => {
    // The client's clock is one hour fast: it stamped the event 2 s before sending.
    const corrected = correctedTimestamp('2026-11-24T13:00:00.000Z', '2026-11-24T13:00:02.000Z', receivedAt);
    expect(corrected.toISOString()).toBe('2026-11-24T11:59:58.000Z');
  });

  it('takes the timestamp as is without sentAt, and receivedAt without either', () => {
    expect(correctedTimestamp('2026-11-24T11:00:00.000Z', undefined, receivedAt).toISOString()).toBe(
      '2026-11-24T11:00:00.000Z',
    );
    expect(correctedTimestamp(undefined, undefined, receivedAt)).toEqual(receivedAt);
  });

  it('never places an event after it was received', () => {
    expect(correctedTimestamp('2026-11-24T13:00:00.000Z', '2026-11-24T12:00:00.000Z', receivedAt)).toEqual(
      receivedAt,
    );
  });
});

describe('normaliseSegmentEvent', () => {
  it('turns a track call into a touchpoint with the corrected time', () => {
    const result = normaliseSegmentEvent(
      {
        type: 'track',
        event: 'Demo Booked',
        userId: 42,
        anonymousId: 'anon-1',
        properties: { plan: 'pro' },
        messageId: 'm-1',
        timestamp: '2026-11-24T11:59:00.000Z',
        sentAt: '2026-11-24T11:59:30.000Z',
        context: {
          campaign: { source: 'newsletter', name: 'autumn' },
          page: { url: 'https://example.com/pricing' },
        },
      },
      options,
    );
    expect(result).toEqual({
      ok: true,
      capture: {
        identities: { userId: '42', anonymousId: 'anon-1' },
        dedup: { scope: 'src:website', id: 'm-1', ttlSeconds: 86_400 },
        touchpoint: expect.objectContaining({
          type: 'track',
          name: 'Demo Booked',
          source: 'source:website',
          occurredAt: '2026-11-24T11:59:30.000Z',
          receivedAt: receivedAt.toISOString(),
          properties: { plan: 'pro', messageId: 'm-1' },
          utm: { source: 'newsletter', campaign: 'autumn' },
          page: { url: 'https://example.com/pricing', path: '/pricing' },
        }),
      },
    });
  });

  it('maps Segment reserved traits, including nested company and address', () => {
    const result = normaliseSegmentEvent(
      {
        type: 'identify',
        userId: 'u1',
        traits: {
          email: 'Ada@Example.com',
          firstName: 'Ada',
          title: 'CTO',
          company: { name: 'Analytical', employee_count: 120, industry: 'Software' },
          address: { country: 'gb' },
        },
        context: { timezone: 'Europe/London' },
      },
      options,
    );
    expect(result.ok && result.capture.touchpoint.traits).toEqual({
      email: 'Ada@Example.com',
      domain: 'example.com',
      firstName: 'Ada',
      name: 'Ada',
      title: 'CTO',
      company: 'Analytical',
      employees: 120,
      industry: 'Software',
      country: 'GB',
      timezone: 'Europe/London',
    });
    expect(result.ok && result.capture.identities).toEqual({ userId: 'u1', email: 'Ada@Example.com' });
  });

  it('requires userId or anonymousId, naming the field with its place in the batch', () => {
    expect(
      normaliseSegmentEvent({ type: 'track', event: 'x' }, { ...options, fieldPrefix: 'batch[3].' }),
    ).toEqual({
      ok: false,
      errors: [{ field: 'batch[3].userId', message: 'userId or anonymousId is required' }],
    });
  });

  it('names the invalid field of a malformed event', () => {
    const result = normaliseSegmentEvent(
      { type: 'track', anonymousId: 'a', event: '' },
      { ...options, fieldPrefix: 'batch[0].' },
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((error) => error.field)).toEqual(['batch[0].event']);
  });

  it('refuses an unknown call type', () => {
    const result = normaliseSegmentEvent({ type: 'explode', anonymousId: 'a' }, options);
    expect(!result.ok && result.errors[0]?.field).toBe('type');
  });

  it('refuses an event over 32 KB, saying which limit', () => {
    const big = {
      type: 'track',
      event: 'x',
      anonymousId: 'a',
      properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) },
    };
    const result = normaliseSegmentEvent(big, { ...options, fieldPrefix: 'batch[1].' });
    expect(result).toEqual({
      ok: false,
      errors: [{ field: 'batch[1]', message: 'exceeds the 32 KB limit per event' }],
    });
  });

  it('refuses an identify with an unusable email but keeps other odd traits out of the profile only', () => {
    expect(
      normaliseSegmentEvent({ type: 'identify', userId: 'u', traits: { email: 'nope' } }, options).ok,
    ).toBe(false);
    const odd = normaliseSegmentEvent(
      { type: 'identify', userId: 'u', traits: { phone: 'call me', plan: 'pro' } },
      options,
    );
    expect(odd.ok && odd.capture.touchpoint.traits).toBeUndefined();
    expect(odd.ok && odd.capture.touchpoint.properties).toMatchObject({ phone: 'call me', plan: 'pro' });
  });

  it('derives a stable messageId from the content when the client sent none', () => {
    const event = { type: 'page', anonymousId: 'a', name: 'Home' };
    const first = normaliseSegmentEvent(event, options);
    const second = normaliseSegmentEvent({ ...event }, options);
    expect(first.ok && second.ok && first.capture.dedup.id === second.capture.dedup.id).toBe(true);
  });
});
