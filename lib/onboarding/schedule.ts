/**
 * When onboarding steps are sent: the due time of a step, moved to the first instant inside the sequence's
 * send window in the customer's time zone.
 *
 * Wall time in a zone comes from Intl.DateTimeFormat (the runtime's tz database); there is no date
 * library. The wall clock is a piecewise-linear function of the instant with a jump at each offset change,
 * so the search walks from one candidate to the next, assuming the offset holds, and stops at an offset
 * change whenever one lies in between, to look again with the new offset. That makes the answer exact:
 * - spring forward: a window opening inside the gap (02:30 on a day that skips 02:00-03:00) opens at the
 *   first instant after it (03:00 local), the first instant whose wall time is in the window;
 * - fall back: a wall time that happens twice is taken at its first occurrence, and if `earliest` lies
 *   between the two, at the second, since that is the next in-window instant.
 * Offsets are assumed to change at most once between two consecutive candidates (under eight days apart),
 * which holds for every zone in use.
 */

import { isTimeZone } from '../model/traits.js';
import { type Delay, delayMs, minutesOfDay, type SendWindow, WEEKDAYS, type Weekday } from './sequence.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The customer's own zone when it is a valid one, else the sequence's default. */
export function sendTimeZone(window: Pick<SendWindow, 'timezone'>, customerTimezone?: string): string {
  return customerTimezone && isTimeZone(customerTimezone) ? customerTimezone : window.timezone;
}

/**
 * When a step falls due: `anchor` is the enrollment for the first step, else when the previous step was
 * sent or skipped.
 */
export function stepDueTime(anchor: Date, delay: Partial<Delay>): Date {
  return new Date(anchor.getTime() + delayMs(delay));
}

/** The first instant at or after `earliest` whose wall time in `timezone` is inside the window. */
export function nextSendTime(
  earliest: Date,
  window: Pick<SendWindow, 'days' | 'from' | 'to'>,
  timezone: string,
): Date {
  const days = new Set(window.days.map((day) => WEEKDAYS.indexOf(day)));
  if (days.size === 0) throw new RangeError('a send window needs at least one day');
  const from = minutesOfDay(window.from) * MINUTE;
  const to = minutesOfDay(window.to) * MINUTE;
  if (!(from < to)) throw new RangeError('a send window must open before it closes');
  let instant = validTime(earliest);
  // Each pass lands on a window opening or an offset change; a week holds few of either.
  for (let pass = 0; pass < 64; pass++) {
    const wall = instant + offsetAt(instant, timezone);
    const dayStart = Math.floor(wall / DAY) * DAY;
    const sinceMidnight = wall - dayStart;
    const today = days.has(weekdayIndex(dayStart));
    if (today && sinceMidnight >= from && sinceMidnight < to) return new Date(instant);
    let opening = dayStart + from;
    if (!today || sinceMidnight >= from) {
      opening += DAY;
      while (!days.has(weekdayIndex(opening))) opening += DAY;
    }
    instant = towards(instant, opening, timezone);
  }
  throw new Error(`no send time found for ${timezone}`);
}

export type WallTime = { year: number; month: number; day: number; weekday: Weekday; minutes: number };

/** The calendar date and minute of the day at `instant` in `timezone`. */
export function wallTime(instant: Date, timezone: string): WallTime {
  const time = validTime(instant);
  const wall = new Date(time + offsetAt(time, timezone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: WEEKDAYS[wall.getUTCDay()]!,
    minutes: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
  };
}

/**
 * The first instant whose wall time in `timezone` is at or after the given one: the wall time itself, its
 * first occurrence when clocks go back, the end of the gap when it does not exist.
 */
export function instantAt(
  wall: { year: number; month: number; day: number; minutes?: number },
  timezone: string,
): Date {
  const target = Date.UTC(wall.year, wall.month - 1, wall.day) + (wall.minutes ?? 0) * MINUTE;
  // No zone is more than 14 h ahead of UTC, so the wall clock here still reads earlier than the target.
  let instant = target - 15 * 60 * MINUTE;
  for (let pass = 0; pass < 8; pass++) {
    if (instant + offsetAt(instant, timezone) >= target) return new Date(instant);
    instant = towards(instant, target, timezone);
  }
  throw new Error(`no instant found for a wall time in ${timezone}`);
}

/**
 * From `instant`, the instant whose wall time is `targetWall` if the offset holds until then, else the
 * first instant of the next offset (the wall clock jumped, so the caller must look again).
 */
function towards(instant: number, targetWall: number, timezone: string): number {
  const offset = offsetAt(instant, timezone);
  const candidate = targetWall - offset;
  if (offsetAt(candidate, timezone) === offset) return candidate;
  // Offsets change on whole seconds: bisect over seconds for the first one with another offset.
  let same = Math.floor(instant / 1000);
  let other = Math.ceil(candidate / 1000);
  while (other - same > 1) {
    const middle = Math.floor((same + other) / 2);
    if (offsetAt(middle * 1000, timezone) === offset) same = middle;
    else other = middle;
  }
  return other * 1000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let format = formatters.get(timezone);
  if (!format) {
    // Customers bring their own zones; keep the cache bounded whatever they send.
    if (formatters.size >= 1000) formatters.clear();
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, format);
  }
  return format;
}

/** Wall clock minus UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timezone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(timezone).formatToParts(instant)) fields[part.type] = Number(part.value);
  const wall = Date.UTC(
    fields.year!,
    fields.month! - 1,
    fields.day!,
    fields.hour!,
    fields.minute!,
    fields.second!,
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

function weekdayIndex(dayStart: number): number {
  return new Date(dayStart).getUTCDay();
}

function validTime(date: Date): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError('invalid date');
  return time;
}
