import type { CounterItem, Counters } from '../model/counters.js';
/**
 * Arithmetic of the prospect-experience report (GET /v1/experience). Inputs are counters summed over day items;
 * outputs are what JSON and CSV show, rounded here so both formats print the same figure.
 *
 * Rounding is half away from zero (so -6.25 and 6.25 round alike) and is done on integer operands where the
 * inputs are integers, so a true half such as 201/200 is not lost to binary floating point.
 * Counts must be non-negative integers: anything else means a counter was written wrongly, and a report built on
 * it would be wrong without saying so, hence RangeError rather than a guess.
 */

export type NpsCategory = 'promoter' | 'passive' | 'detractor';

/** The 0-10 "how likely are you to recommend us" answer's category; null for anything that is not an integer 0-10. */
export function npsCategory(answer: number): NpsCategory | null {
  if (!Number.isInteger(answer) || answer < 0 || answer > 10) return null;
  if (answer >= 9) return 'promoter';
  if (answer >= 7) return 'passive';
  return 'detractor';
}

export type NpsCounts = { promoters: number; passives: number; detractors: number };
export type Nps = { score: number | null; answers: number };

/**
 * Net Promoter Score: 100 * (promoters - detractors) / answers, from -100 to 100, one decimal (the conventional
 * integer hides real movement in groups of a few hundred answers). Passives count in the denominator only.
 * score is null when nobody answered.
 */
export function nps(counts: NpsCounts): Nps {
  const promoters = countOf(counts.promoters, 'promoters');
  const passives = countOf(counts.passives, 'passives');
  const detractors = countOf(counts.detractors, 'detractors');
  const answers = promoters + passives + detractors;
  return { score: answers === 0 ? null : roundRatio(100 * (promoters - detractors), answers, 1), answers };
}

/**
 * Mean CSAT answer (sum of answers over their count), two decimals; null when nobody answered. The scale is the
 * survey's (1-5 usually): the mean is reported on it, not converted to a percentage of satisfied answers.
 */
export function csatMean(totals: { sum: number; count: number }): number | null {
  const count = countOf(totals.count, 'count');
  if (!Number.isFinite(totals.sum)) throw new RangeError(`CSAT sum must be finite, got ${totals.sum}`);
  if (count === 0) {
    if (totals.sum !== 0) throw new RangeError(`CSAT sum ${totals.sum} with no answers`);
    return null;
  }
  return roundRatio(totals.sum, count, 2);
}

/**
 * The 1-based nearest rank of quantile q in n sorted values: ceil(q * n), at least 1. q = 0 is the minimum,
 * q = 1 the maximum, q = 0.5 the lower median for even n.
 */
export function nearestRank(n: number, q: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`rank needs at least one value, got n = ${n}`);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const exact = q * n;
  // 0.07 * 100 is 7.000000000000001 in floating point; its ceiling must still be 7.
  const nearest = Math.round(exact);
  const rank = Math.abs(exact - nearest) <= 1e-9 * Math.max(1, exact) ? nearest : Math.ceil(exact);
  return Math.min(n, Math.max(1, rank));
}

/** Nearest-rank quantile of raw values (the histogram's reference); null for no values. Does not reorder the input. */
export function exactQuantile(values: readonly number[], q: number): number | null {
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`values must be finite, got ${value}`);
  }
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  if (values.length === 0) return null;
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[nearestRank(sorted.length, q) - 1] ?? null;
}

export type Friction = { ratio: number | null; failed: number; succeeded: number };

/**
 * Failed submissions per successful one (per form, or per field that failed), four decimals. With no successful
 * submission the ratio has no finite value and JSON has no Infinity, so ratio is null and `failed` tells
 * "nobody got through" (failed > 0) from "nobody tried" (failed = 0).
 */
export function frictionRatio(counts: { failed: number; succeeded: number }): Friction {
  const failed = countOf(counts.failed, 'failed');
  const succeeded = countOf(counts.succeeded, 'succeeded');
  return { ratio: succeeded === 0 ? null : roundRatio(failed, succeeded, 4), failed, succeeded };
}

export type Conversion = { rate: number | null; qualified: number; converted: number };

/**
 * Share of qualified prospects that became customers, 0-1, four decimals; null when none qualified. Cohort
 * counting: `converted` counts conversions of the prospects in `qualified` (attributed to the day they
 * qualified), so it can never exceed it; a larger figure means the counters mix cohorts, and is refused.
 */
export function conversionRate(counts: { qualified: number; converted: number }): Conversion {
  const qualified = countOf(counts.qualified, 'qualified');
  const converted = countOf(counts.converted, 'converted');
  if (converted > qualified) {
    throw new RangeError(`converted (${converted}) exceeds qualified (${qualified}): counters mix cohorts`);
  }
  return { rate: qualified === 0 ? null : roundRatio(converted, qualified, 4), qualified, converted };
}

export type ExpectationSummary = {
  met: number;
  broken: number;
  open: number;
  decided: number;
  metRate: number | null;
};

/**
 * How often a promised expectation ("a specialist replies within 1 business day") was kept. Open ones (deadline
 * not reached yet) are shown but left out of the rate, which is met / (met + broken), four decimals; null when
 * none is decided yet.
 */
export function expectationSummary(counts: {
  met: number;
  broken: number;
  open: number;
}): ExpectationSummary {
  const met = countOf(counts.met, 'met');
  const broken = countOf(counts.broken, 'broken');
  const open = countOf(counts.open, 'open');
  const decided = met + broken;
  return { met, broken, open, decided, metRate: decided === 0 ? null : roundRatio(met, decided, 4) };
}

/** Sum of two counter maps, key by key; a key missing on one side counts as 0. Inputs are not modified. */
export function mergeCounters(a: Readonly<Counters>, b: Readonly<Counters>): Counters {
  const sums = new Map<string, number>();
  for (const counters of [a, b]) {
    for (const [key, value] of Object.entries(counters)) {
      sums.set(key, (sums.get(key) ?? 0) + finiteOf(value, key));
    }
  }
  // fromEntries defines own properties, so a counter named __proto__ (a form field, say) stays a counter.
  return Object.fromEntries(sums);
}

/**
 * One group's total over its day items: numbers are summed, nested maps (histograms, per-field counters) are
 * merged with mergeCounters. The caller strips key attributes (PK, SK, TTL) first; anything that is neither a
 * number nor a map of numbers, or a name that is a number one day and a map another, is a TypeError.
 */
export function rollUp(days: readonly Readonly<CounterItem>[]): CounterItem {
  const totals = new Map<string, number | Counters>();
  for (const day of days) {
    for (const [key, value] of Object.entries(day)) {
      const total = totals.get(key);
      if (typeof value === 'number') {
        if (typeof total === 'object')
          throw new TypeError(`${key} is a map on one day and a number on another`);
        totals.set(key, (total ?? 0) + finiteOf(value, key));
      } else if (isCounters(value)) {
        if (typeof total === 'number')
          throw new TypeError(`${key} is a number on one day and a map on another`);
        totals.set(key, mergeCounters(total ?? {}, value));
      } else {
        throw new TypeError(`${key} is neither a counter nor a map of counters`);
      }
    }
  }
  return Object.fromEntries(totals);
}

function isCounters(value: unknown): value is Counters {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteOf(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
  return value;
}

function countOf(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** numerator / denominator rounded half away from zero to `decimals` places; denominator > 0. */
function roundRatio(numerator: number, denominator: number, decimals: number): number {
  const scale = 10 ** decimals;
  // Scaling the numerator first keeps integer inputs exact up to the one division, which rounds correctly.
  const scaled = (numerator * scale) / denominator;
  const rounded = Math.sign(scaled) * Math.round(Math.abs(scaled));
  // Avoid -0, which JSON prints as 0 but Object.is and CSV tests would not.
  return rounded === 0 ? 0 : rounded / scale;
}
