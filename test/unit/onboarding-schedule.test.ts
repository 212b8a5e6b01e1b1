import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  instantAt,
  nextSendTime,
  sendTimeZone,
  stepDueTime,
  wallTime,
} from '../../lib/onboarding/schedule.js';
import { type SendWindow, WEEKDAYS, type Weekday } from '../../lib/onboarding/sequence.js';

const MINUTE = 60_000;
const weekdays: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const officeHours = { days: weekdays, from: '09:00', to: '17:00' };
const everyDay = (from: string, to: string) => ({ days: [...WEEKDAYS], from, to });
const at = (iso: string) => new Date(iso);
const send = (earliest: string, window: Pick<SendWindow, 'days' | 'from' | 'to'>, zone: string) =>
  nextSendTime(at(earliest), window, zone).toISOString();

// An oracle that shares no code with the implementation: the runtime's own formatting of each instant.
const oracles = new Map<string, Intl.DateTimeFormat>();
function inWindow(instant: number, window: Pick<SendWindow, 'days' | 'from' | 'to'>, zone: string): boolean {
  let format = oracles.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    oracles.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  const weekday = parts.weekday!.toLowerCase().slice(0, 3) as Weekday;
  const time = `${parts.hour}:${parts.minute}`;
  return window.days.includes(weekday) && time >= window.from && time < window.to;
}

describe('nextSendTime', () => {
  it('sends at once when the earliest time is inside the window', () => {
    expect(send('2026-06-10T10:15:42.123Z', officeHours, 'Europe/Berlin')).toBe('2026-06-10T10:15:42.123Z');
  });

  it('waits for the window to open later the same day', () => {
    expect(send('2026-06-10T05:00:00Z', officeHours, 'Europe/Berlin')).toBe('2026-06-10T07:00:00.000Z');
  });

  it('treats the end of the window as closed', () => {
    expect(send('2026-06-10T15:00:00Z', officeHours, 'Europe/Berlin')).toBe('2026-06-11T07:00:00.000Z');
    expect(send('2026-06-10T14:59:59.999Z', officeHours, 'Europe/Berlin')).toBe('2026-06-10T14:59:59.999Z');
  });

  it('moves a Friday-evening enrollment to Monday 09:00 local', () => {
    expect(send('2026-06-12T17:30:00Z', officeHours, 'Europe/Berlin')).toBe('2026-06-15T07:00:00.000Z');
    expect(send('2026-06-12T22:30:00Z', officeHours, 'America/New_York')).toBe('2026-06-15T13:00:00.000Z');
  });

  it('lets a window run to midnight', () => {
    const evenings = everyDay('20:00', '24:00');

    expect(send('2026-06-10T21:59:30Z', evenings, 'Europe/Berlin')).toBe('2026-06-10T21:59:30.000Z');
    expect(send('2026-06-10T22:00:00Z', evenings, 'Europe/Berlin')).toBe('2026-06-11T18:00:00.000Z');
  });

  describe('Europe/Berlin across its 2026 clock changes', () => {
    it('moves a Friday-evening enrollment over the spring-forward weekend to Monday 09:00 summer time', () => {
      expect(send('2026-03-27T18:00:00Z', officeHours, 'Europe/Berlin')).toBe('2026-03-30T07:00:00.000Z');
    });

    it('moves a Friday-evening enrollment over the fall-back weekend to Monday 09:00 winter time', () => {
      expect(send('2026-10-23T18:00:00Z', officeHours, 'Europe/Berlin')).toBe('2026-10-26T08:00:00.000Z');
    });

    it('opens a window that starts inside the spring-forward gap when the clock reaches 03:00', () => {
      expect(send('2026-03-29T00:00:00Z', everyDay('02:30', '04:00'), 'Europe/Berlin')).toBe(
        '2026-03-29T01:00:00.000Z',
      );
    });

    it('skips a day on which the whole window falls inside the gap', () => {
      expect(send('2026-03-29T00:00:00Z', everyDay('02:15', '02:45'), 'Europe/Berlin')).toBe(
        '2026-03-30T00:15:00.000Z',
      );
    });

    it('takes the first of the two 02:30s when the clocks go back', () => {
      expect(send('2026-10-25T00:00:00Z', everyDay('02:30', '02:40'), 'Europe/Berlin')).toBe(
        '2026-10-25T00:30:00.000Z',
      );
    });

    it('takes the second 02:30 when the earliest time lies between the two', () => {
      expect(send('2026-10-25T00:45:00Z', everyDay('02:30', '02:40'), 'Europe/Berlin')).toBe(
        '2026-10-25T01:30:00.000Z',
      );
    });
  });

  describe('America/New_York across its 2026 clock changes', () => {
    it('moves a Friday-evening enrollment over the spring-forward weekend to Monday 09:00 EDT', () => {
      expect(send('2026-03-06T23:30:00Z', officeHours, 'America/New_York')).toBe('2026-03-09T13:00:00.000Z');
    });

    it('moves a Friday-evening enrollment over the fall-back weekend to Monday 09:00 EST', () => {
      expect(send('2026-10-30T22:00:00Z', officeHours, 'America/New_York')).toBe('2026-11-02T14:00:00.000Z');
    });

    it('keeps Sunday 09:00 local on the day the clocks change', () => {
      const sundays = { days: ['sun' as const], from: '09:00', to: '10:00' };

      expect(send('2026-03-08T00:00:00Z', sundays, 'America/New_York')).toBe('2026-03-08T13:00:00.000Z');
      expect(send('2026-11-01T00:00:00Z', sundays, 'America/New_York')).toBe('2026-11-01T14:00:00.000Z');
    });

    it('opens a window that starts inside the spring-forward gap at 03:00 EDT', () => {
      expect(send('2026-03-08T05:00:00Z', everyDay('02:30', '04:00'), 'America/New_York')).toBe(
        '2026-03-08T07:00:00.000Z',
      );
    });

    it('takes the first 01:30 when the clocks go back, or the second when the first has passed', () => {
      const window = everyDay('01:30', '01:40');

      expect(send('2026-11-01T05:00:00Z', window, 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
      expect(send('2026-11-01T05:45:00Z', window, 'America/New_York')).toBe('2026-11-01T06:30:00.000Z');
    });
  });

  it('handles the half-hour offset of Asia/Kolkata', () => {
    expect(send('2026-06-12T12:00:00Z', officeHours, 'Asia/Kolkata')).toBe('2026-06-15T03:30:00.000Z');
    expect(send('2026-06-15T03:29:59Z', officeHours, 'Asia/Kolkata')).toBe('2026-06-15T03:30:00.000Z');
  });

  it('handles the 45-minute offset of Pacific/Chatham', () => {
    // 17:45 local on Wednesday: the next opening is Thursday 09:00 (+12:45), the evening before in UTC.
    expect(send('2026-06-10T05:00:00Z', officeHours, 'Pacific/Chatham')).toBe('2026-06-10T20:15:00.000Z');
  });

  it('handles the Pacific/Chatham fall-back from +13:45 to +12:45', () => {
    const window = everyDay('03:00', '03:30');

    expect(send('2026-04-04T13:00:00Z', window, 'Pacific/Chatham')).toBe('2026-04-04T13:15:00.000Z');
    expect(send('2026-04-04T13:50:00Z', window, 'Pacific/Chatham')).toBe('2026-04-04T14:15:00.000Z');
  });

  it('is inside the window, never before the earliest time, and misses no earlier in-window minute (property)', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Pacific/Chatham',
      'Australia/Lord_Howe',
      'America/Santiago',
      'UTC',
    ];
    // Around the clock changes, where mistakes would be.
    const changes = [
      '2026-03-29T01:00:00Z',
      '2026-10-25T01:00:00Z',
      '2026-03-08T07:00:00Z',
      '2026-11-01T06:00:00Z',
      '2026-04-04T14:00:00Z',
      '2026-09-26T14:00:00Z',
      '2026-04-04T15:00:00Z',
      '2026-10-03T15:30:00Z',
      '2026-09-06T04:00:00Z',
      '2026-06-15T00:00:00Z',
    ].map((iso) => Date.parse(iso));
    const hhmm = (minutes: number) =>
      minutes === 1440
        ? '24:00'
        : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    const window = fc
      .tuple(
        fc.subarray([...WEEKDAYS], { minLength: 3 }),
        // Mostly small hours, where the clocks change.
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1439 })),
        fc.integer({ min: 1, max: 600 }),
      )
      .map(([days, from, length]) => ({ days, from: hhmm(from), to: hhmm(Math.min(1440, from + length)) }));
    const earliest = fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -30 * 3_600_000, max: 6 * 3_600_000 }))
      .map(([change, shift]) => change + shift);

    fc.assert(
      fc.property(earliest, window, fc.constantFrom(...zones), (start, window, zone) => {
        const result = nextSendTime(new Date(start), window, zone).getTime();

        expect(result).toBeGreaterThanOrEqual(start);
        expect(inWindow(result, window, zone)).toBe(true);
        if (result > start) expect(inWindow(start, window, zone)).toBe(false);
        for (let minute = Math.ceil(start / MINUTE) * MINUTE; minute < result; minute += MINUTE)
          expect(inWindow(minute, window, zone), new Date(minute).toISOString()).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects an invalid date rather than scheduling it', () => {
    expect(() => nextSendTime(new Date(Number.NaN), officeHours, 'UTC')).toThrow(RangeError);
  });
});

describe('stepDueTime', () => {
  it('adds the delay in fixed days, hours and minutes', () => {
    const due = stepDueTime(at('2026-03-28T10:00:00Z'), { days: 2, hours: 3, minutes: 15 });

    expect(due.toISOString()).toBe('2026-03-30T13:15:00.000Z');
  });

  it('is the anchor itself for no delay', () => {
    expect(stepDueTime(at('2026-03-28T10:00:00Z'), {}).toISOString()).toBe('2026-03-28T10:00:00.000Z');
  });
});

describe('sendTimeZone', () => {
  it('prefers the customer zone when it is valid and falls back to the sequence zone', () => {
    expect(sendTimeZone({ timezone: 'UTC' }, 'Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(sendTimeZone({ timezone: 'UTC' }, 'Mars/Olympus_Mons')).toBe('UTC');
    expect(sendTimeZone({ timezone: 'Europe/Berlin' }, undefined)).toBe('Europe/Berlin');
  });
});

describe('wall time conversions', () => {
  it('reads the local date and minute of an instant', () => {
    expect(wallTime(at('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toEqual({
      year: 2026,
      month: 3,
      day: 29,
      weekday: 'sun',
      minutes: 3 * 60,
    });
  });

  it('finds the instant of a local wall time, the end of a gap, and the first of a repeated time', () => {
    const berlin = (day: number, month: number, minutes: number) =>
      instantAt({ year: 2026, month, day, minutes }, 'Europe/Berlin').toISOString();

    expect(berlin(10, 6, 9 * 60)).toBe('2026-06-10T07:00:00.000Z');
    expect(berlin(29, 3, 2 * 60 + 30)).toBe('2026-03-29T01:00:00.000Z');
    expect(berlin(25, 10, 2 * 60 + 30)).toBe('2026-10-25T00:30:00.000Z');
  });

  it('finds the start of a day whose midnight does not exist', () => {
    expect(instantAt({ year: 2026, month: 9, day: 6 }, 'America/Santiago').toISOString()).toBe(
      '2026-09-06T04:00:00.000Z',
    );
  });
});
