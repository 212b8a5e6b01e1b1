import type { DecayedSum, LogSum } from '../model/score.js';
/**
 * Forward decay (Cormode, Shkapenyuk, Srivastava, Xu, 2009). Points p earned at time t count
 * p * 2^((t - L) / h) against a fixed landmark L, for the ICP's half-life h. The stored value is the sum S of
 * those weights; engagement now is S * 2^(-(now - L) / h). Every prospect of an ICP decays by the same factor,
 * so ordering by S is ordering by current engagement at any time, and adding a touchpoint is O(1).
 *
 * The weights grow without bound (2^(years/h)), so sums are kept as base-2 logarithms and added with
 * log-sum-exp. Negative points are kept as a separate sum of their own, so the net S = 2^pos - 2^neg is exact
 * (no floor that would forget a penalty); displayed engagement is floored at zero, the ranking uses the exact net.
 */

/** 2025-01-01T00:00:00Z: the landmark of every ICP. Any fixed time works; this one keeps the logarithms small. */
export const LANDMARK_MS = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

export const EMPTY: LogSum = Number.NEGATIVE_INFINITY;

export const ZERO_SUM: DecayedSum = { pos: EMPTY, neg: EMPTY };

export function ageInHalfLives(atMs: number, halfLifeDays: number): number {
  return (atMs - LANDMARK_MS) / (halfLifeDays * DAY_MS);
}

/** log2(2^a + 2^b) without overflow. */
export function logAdd(a: LogSum, b: LogSum): LogSum {
  if (a === EMPTY) return b;
  if (b === EMPTY) return a;
  const high = Math.max(a, b);
  return high + Math.log2(1 + 2 ** (Math.min(a, b) - high));
}

export function addPoints(sum: DecayedSum, points: number, atMs: number, halfLifeDays: number): DecayedSum {
  if (points === 0 || !Number.isFinite(points)) return sum;
  const weight = Math.log2(Math.abs(points)) + ageInHalfLives(atMs, halfLifeDays);
  return points > 0 ? { ...sum, pos: logAdd(sum.pos, weight) } : { ...sum, neg: logAdd(sum.neg, weight) };
}

export function combine(a: DecayedSum, b: DecayedSum): DecayedSum {
  return { pos: logAdd(a.pos, b.pos), neg: logAdd(a.neg, b.neg) };
}

/** Net points now, decayed to `nowMs` (may be negative). */
export function valueAt(sum: DecayedSum, nowMs: number, halfLifeDays: number): number {
  const age = ageInHalfLives(nowMs, halfLifeDays);
  const positive = sum.pos === EMPTY ? 0 : 2 ** (sum.pos - age);
  const negative = sum.neg === EMPTY ? 0 : 2 ** (sum.neg - age);
  return positive - negative;
}

/**
 * The net sum S as a signed base-2 logarithm: `{ sign, log }` with S = sign * 2^log. Monotonic in S, and what
 * the ranking key encodes.
 */
export function netLog(sum: DecayedSum): { sign: -1 | 0 | 1; log: number } {
  if (sum.pos === EMPTY && sum.neg === EMPTY) return { sign: 0, log: 0 };
  if (sum.neg === EMPTY) return { sign: 1, log: sum.pos };
  if (sum.pos === EMPTY) return { sign: -1, log: sum.neg };
  if (sum.pos === sum.neg) return { sign: 0, log: 0 };
  const high = Math.max(sum.pos, sum.neg);
  const log = high + Math.log2(1 - 2 ** (Math.min(sum.pos, sum.neg) - high));
  if (!Number.isFinite(log)) return { sign: 0, log: 0 };
  return { sign: sum.pos > sum.neg ? 1 : -1, log };
}

/** The time at which a positive net value decays to `threshold` (> 0): when to re-check a qualification. */
export function timeWhenValueFallsTo(
  sum: DecayedSum,
  threshold: number,
  halfLifeDays: number,
): number | undefined {
  const net = netLog(sum);
  if (net.sign <= 0 || threshold <= 0) return undefined;
  return LANDMARK_MS + (net.log - Math.log2(threshold)) * halfLifeDays * DAY_MS;
}
