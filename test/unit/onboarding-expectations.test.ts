import { describe, expect, it } from 'vitest';
import type { Touchpoint } from '../../lib/model/touchpoint.js';
import {
  expectationDeadline,
  expectationOutcome,
  expectationsKeptBy,
} from '../../lib/onboarding/expectations.js';

const at = (iso: string) => new Date(iso);
const businessDays = (count: number) => ({ within: { businessDays: count } });
const deadline = (givenAt: string, count: number, zone: string) =>
  expectationDeadline(at(givenAt), businessDays(count), zone).toISOString();

describe('expectationDeadline', () => {
  it('gives until the end of the next business day', () => {
    // Monday 10:00 in Berlin: by the end of Tuesday.
    expect(deadline('2026-06-08T08:00:00Z', 1, 'Europe/Berlin')).toBe('2026-06-09T22:00:00.000Z');
  });

  it('gives a promise made on Friday afternoon until the end of Monday', () => {
    expect(deadline('2026-06-05T13:00:00Z', 1, 'Europe/Berlin')).toBe('2026-06-08T22:00:00.000Z');
  });

  it('gives a promise made at the weekend until the end of Monday too', () => {
    expect(deadline('2026-06-06T10:00:00Z', 1, 'Europe/Berlin')).toBe('2026-06-08T22:00:00.000Z');
  });

  it('counts several business days over a weekend', () => {
    // Wednesday: Thursday, Friday, Monday.
    expect(deadline('2026-06-10T09:00:00Z', 3, 'Europe/Berlin')).toBe('2026-06-15T22:00:00.000Z');
  });

  it('counts days in the customer zone, not in UTC', () => {
    // Sunday 22:30 UTC is already Monday 00:30 in Berlin.
    expect(deadline('2026-06-14T22:30:00Z', 1, 'Europe/Berlin')).toBe('2026-06-16T22:00:00.000Z');
    expect(deadline('2026-06-14T22:30:00Z', 1, 'UTC')).toBe('2026-06-16T00:00:00.000Z');
  });

  it('ends at local midnight across the clock changes', () => {
    expect(deadline('2026-03-27T14:00:00Z', 1, 'Europe/Berlin')).toBe('2026-03-30T22:00:00.000Z');
    expect(deadline('2026-10-30T20:00:00Z', 1, 'America/New_York')).toBe('2026-11-03T05:00:00.000Z');
  });

  it('ends when the next day begins even where its midnight does not exist', () => {
    // Santiago skips from Saturday 23:59:59 to Sunday 01:00 on 6 September 2026.
    const monToSat = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
    const end = expectationDeadline(
      at('2026-09-04T15:00:00Z'),
      businessDays(1),
      'America/Santiago',
      monToSat,
    );

    expect(end.toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('follows the business days it is given', () => {
    const sundayToThursday = ['sun', 'mon', 'tue', 'wed', 'thu'] as const;
    const end = expectationDeadline(
      at('2026-06-11T10:00:00Z'),
      businessDays(1),
      'Asia/Riyadh',
      sundayToThursday,
    );

    expect(end.toISOString()).toBe('2026-06-14T21:00:00.000Z');
  });

  it('counts hours as elapsed time, weekends included', () => {
    const end = expectationDeadline(at('2026-06-05T13:00:00Z'), { within: { hours: 4 } }, 'Europe/Berlin');

    expect(end.toISOString()).toBe('2026-06-05T17:00:00.000Z');
  });

  it('refuses an empty set of business days rather than looping for ever', () => {
    expect(() => expectationDeadline(at('2026-06-05T13:00:00Z'), businessDays(1), 'UTC', [])).toThrow(
      RangeError,
    );
  });
});

describe('expectationOutcome', () => {
  const due = at('2026-06-08T22:00:00Z');

  it('is met by a response before or at the deadline', () => {
    expect(expectationOutcome(due, at('2026-06-08T09:00:00Z'), at('2026-06-10T00:00:00Z'))).toBe('met');
    expect(expectationOutcome(due, due, at('2026-06-10T00:00:00Z'))).toBe('met');
  });

  it('is broken by a late response', () => {
    expect(expectationOutcome(due, at('2026-06-08T22:00:00.001Z'), at('2026-06-10T00:00:00Z'))).toBe(
      'broken',
    );
  });

  it('is broken once the deadline passes without a response', () => {
    expect(expectationOutcome(due, undefined, at('2026-06-08T22:00:00.001Z'))).toBe('broken');
  });

  it('is open while the deadline has not passed and nobody has replied', () => {
    expect(expectationOutcome(due, undefined, at('2026-06-08T21:59:59Z'))).toBe('open');
    expect(expectationOutcome(due, undefined, due)).toBe('open');
  });

  it('does not count a response that comes after now', () => {
    expect(expectationOutcome(due, at('2026-06-08T12:00:00Z'), at('2026-06-08T10:00:00Z'))).toBe('open');
  });
});

describe('expectationsKeptBy', () => {
  const given = { givenAt: '2026-06-08T08:00:00.000Z', deadline: '2026-06-09T22:00:00.000Z' };
  const open = { id: 'open', status: 'open', ...given };
  const broken = { id: 'broken', status: 'broken', ...given };
  const activity = (name: string, occurredAt: string) => ({ type: 'activity' as const, name, occurredAt });
  const kept = (touchpoint: Pick<Touchpoint, 'type' | 'name' | 'occurredAt'>) =>
    expectationsKeptBy([open, broken], touchpoint).map((expectation) => expectation.id);

  it('is kept by a call, meeting or email reply from the moment it was given up to the deadline', () => {
    expect(kept(activity('call', given.givenAt))).toEqual(['open']);
    expect(kept(activity('meeting', '2026-06-09T10:00:00Z'))).toEqual(['open']);
    expect(kept(activity('email-reply', given.deadline))).toEqual(['open']);
  });

  it('is not kept by a response before it was given or after its deadline, nor by a note or an email', () => {
    expect(kept(activity('call', '2026-06-08T07:59:59Z'))).toEqual([]);
    expect(kept(activity('call', '2026-06-09T22:00:01Z'))).toEqual([]);
    expect(kept(activity('note', '2026-06-09T10:00:00Z'))).toEqual([]);
    expect(kept({ type: 'email', name: 'call', occurredAt: '2026-06-09T10:00:00Z' })).toEqual([]);
  });
});
