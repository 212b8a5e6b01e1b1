/**
 * Promises a sequence makes ("a specialist replies within 1 business day") and whether they were kept.
 *
 * Decision: N business days means by the end of the Nth business day after the day the promise was given,
 * in the customer's zone (the deadline is the local midnight that ends it). That is how people read such a
 * promise: given Friday afternoon, "1 business day" means by the end of Monday, not Monday at the same
 * minute; given on a Saturday, also the end of Monday. Public holidays are not known here. `hours` are
 * elapsed hours, whatever the day.
 */
import type { Touchpoint } from '../model/touchpoint.js';
import { isSalesResponse } from '../model/touchpoint.js';
import type { Enrollment, GivenExpectation } from '../store/enrollments.js';
import { instantAt, wallTime } from './schedule.js';
import { type Expectation, type Sequence, WEEKDAYS, type Weekday } from './sequence.js';

export const MONDAY_TO_FRIDAY: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

const DAY = 86_400_000;

/** The instant by which the promise must be kept (a first response at this instant still keeps it). */
export function expectationDeadline(
  givenAt: Date,
  expectation: Pick<Expectation, 'within'>,
  timezone: string,
  businessDays: readonly Weekday[] = MONDAY_TO_FRIDAY,
): Date {
  const { within } = expectation;
  if ('hours' in within) return new Date(givenAt.getTime() + within.hours * 3_600_000);
  const open = new Set(businessDays);
  if (open.size === 0) throw new RangeError('business days must include at least one day');
  const given = wallTime(givenAt, timezone);
  // Calendar arithmetic on the local date; UTC midnight stands for it, so no offset enters.
  let day = Date.UTC(given.year, given.month - 1, given.day);
  for (let counted = 0; counted < within.businessDays; ) {
    day += DAY;
    if (open.has(WEEKDAYS[new Date(day).getUTCDay()]!)) counted++;
  }
  const end = new Date(day + DAY);
  return instantAt(
    { year: end.getUTCFullYear(), month: end.getUTCMonth() + 1, day: end.getUTCDate() },
    timezone,
  );
}

export type ExpectationOutcome = 'met' | 'broken' | 'open';

/**
 * The outcome as known at `now` (a response after `now` has not happened yet). `broken` as soon as the
 * deadline passes without a response, not only once one finally arrives.
 */
export function expectationOutcome(
  deadline: Date,
  firstResponseAt: Date | undefined,
  now: Date,
): ExpectationOutcome {
  if (firstResponseAt !== undefined && firstResponseAt.getTime() <= now.getTime())
    return firstResponseAt.getTime() <= deadline.getTime() ? 'met' : 'broken';
  return now.getTime() > deadline.getTime() ? 'broken' : 'open';
}

/**
 * The open expectations a touchpoint keeps: a sales response (call, meeting, email reply) that happened from the
 * moment the promise was given up to its deadline. One after the deadline keeps nothing: the due check breaks
 * the promise; one before it was given answers something else.
 */
export function expectationsKeptBy<T extends { status: string; givenAt: string; deadline: string }>(
  expectations: readonly T[],
  touchpoint: Pick<Touchpoint, 'type' | 'name' | 'occurredAt'>,
): T[] {
  if (!isSalesResponse(touchpoint)) return [];
  const at = Date.parse(touchpoint.occurredAt);
  return expectations.filter(
    (expectation) =>
      expectation.status === 'open' &&
      Date.parse(expectation.givenAt) <= at &&
      expectationOutcome(new Date(expectation.deadline), new Date(at), new Date(at)) === 'met',
  );
}

/** The enrollment's expectations after an email that mentions `mentioned`: those told for the first time given now. */
export function giveExpectations(
  enrollment: Pick<Enrollment, 'expectations' | 'timezone'>,
  sequence: Pick<Sequence, 'expectations'>,
  mentioned: ReadonlySet<string>,
  now: Date,
): GivenExpectation[] {
  const given = [...enrollment.expectations];
  for (const expectation of sequence.expectations) {
    if (!mentioned.has(expectation.id) || given.some((item) => item.id === expectation.id)) continue;
    given.push({
      id: expectation.id,
      text: expectation.text,
      givenAt: now.toISOString(),
      deadline: expectationDeadline(now, expectation, enrollment.timezone).toISOString(),
    });
  }
  return given;
}
