import { mergeCounters, nearestRank } from './metrics.js';

/**
 * Mergeable log-bucket histogram of durations in seconds, kept as a map of bucket key -> count so a day item can
 * count a sample with `ADD #bucket :one` and a report can sum day items (merge is key-wise addition, so the
 * histogram of merged days is the histogram of all their samples).
 *
 * Buckets: `b0` holds [0, 1) s; `bk` (k >= 1) holds [2^((k-1)/8), 2^(k/8)) s, so each is 2^(1/8) (about 9.05 %)
 * wider than the one below. A quantile is reported as its bucket's geometric midpoint (0.5 s for b0), which is
 * within RELATIVE_ERROR = 2^(1/16) - 1 (about 4.43 %) of the exact nearest-rank quantile for samples of 1 s and
 * more, and within 0.5 s below that.
 *
 * Size: one year (3.15e7 s) is b200; keys stay within four characters up to 2^124 s. An entry costs key + number
 * + 1 byte of map overhead in DynamoDB, 7-8 bytes for counts below 10,000, and a day item holds only the
 * buckets that got a sample that day: at most 201 entries (about 1.6 KB) for durations up to a year, in practice a
 * few dozen. The 8-per-doubling resolution is part of the stored format: changing it orphans stored buckets.
 *
 * DynamoDB refuses `ADD #map.#bucket :one` while the map does not exist yet ("document path ... invalid"), so a
 * day item keeps buckets as top-level attributes (`firstResponse.b17`, see bucketAttribute), and histogramIn
 * reads them back out of the item or its rollUp.
 */

export type Histogram = Record<string, number>;

const PER_DOUBLING = 8;
const KEY = /^b(0|[1-9][0-9]{0,5})$/;

export const RELATIVE_ERROR = 2 ** (1 / (2 * PER_DOUBLING)) - 1;

/** The bucket key of a duration; RangeError for a negative or non-finite one (the caller decides what that means). */
export function bucketOf(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`duration must be finite and non-negative, got ${seconds}`);
  }
  if (seconds < 1) return 'b0';
  let index = Math.floor(Math.log2(seconds) * PER_DOUBLING) + 1;
  // log2 can land one bucket off at a boundary; settle against the very bounds bucketBounds reports.
  while (seconds < lowerOf(index)) index -= 1;
  while (seconds >= lowerOf(index + 1)) index += 1;
  return `b${index}`;
}

/** A bucket's range in seconds, lower inclusive, upper exclusive. */
export function bucketBounds(key: string): { lower: number; upper: number } {
  const index = indexOf(key);
  return { lower: lowerOf(index), upper: lowerOf(index + 1) };
}

/** The value a quantile falling in this bucket reports: its geometric midpoint, or 0.5 s for b0. */
export function bucketValue(key: string): number {
  const index = indexOf(key);
  return index === 0 ? 0.5 : 2 ** ((index - 0.5) / PER_DOUBLING);
}

/** A new histogram with `times` more samples of `seconds`. */
export function record(hist: Readonly<Histogram>, seconds: number, times = 1): Histogram {
  if (!Number.isInteger(times) || times < 1)
    throw new RangeError(`times must be a positive integer, got ${times}`);
  return mergeCounters(hist, { [bucketOf(seconds)]: times });
}

export function histogramOf(samples: Iterable<number>): Histogram {
  const counts = new Map<string, number>();
  for (const seconds of samples) {
    const key = bucketOf(seconds);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
}

/** The top-level attribute counting `seconds` of `metric` in a day item; the caller passes it as an #name. */
export function bucketAttribute(metric: string, seconds: number): string {
  return `${metric}.${bucketOf(seconds)}`;
}

/** `metric`'s histogram out of a flat counter item; every attribute under `metric.` must be a bucket. */
export function histogramIn(counters: Readonly<Record<string, unknown>>, metric: string): Histogram {
  const prefix = `${metric}.`;
  const entries = Object.entries(counters).filter(([name]) => name.startsWith(prefix));
  const hist: Histogram = Object.fromEntries(
    entries.map(([name, value]) => [name.slice(prefix.length), value as number]),
  );
  buckets(hist);
  return hist;
}

export function merge(a: Readonly<Histogram>, b: Readonly<Histogram>): Histogram {
  return mergeCounters(a, b);
}

/** Number of samples. */
export function count(hist: Readonly<Histogram>): number {
  return buckets(hist).reduce((total, bucket) => total + bucket.count, 0);
}

/**
 * The nearest-rank q-quantile (the ceil(q * n)-th smallest sample, q = 0 the smallest) reported as the
 * bucketValue of the bucket holding it; null for an empty histogram.
 */
export function quantile(hist: Readonly<Histogram>, q: number): number | null {
  const sorted = buckets(hist);
  const total = sorted.reduce((sum, bucket) => sum + bucket.count, 0);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  if (total === 0) return null;
  const rank = nearestRank(total, q);
  let seen = 0;
  for (const bucket of sorted) {
    seen += bucket.count;
    if (seen >= rank) return bucketValue(bucket.key);
  }
  return null;
}

export type DurationSummary = { count: number; median: number | null; p90: number | null };

/** What the report shows of a duration histogram. */
export function summarise(hist: Readonly<Histogram>): DurationSummary {
  return { count: count(hist), median: quantile(hist, 0.5), p90: quantile(hist, 0.9) };
}

function lowerOf(index: number): number {
  return index === 0 ? 0 : 2 ** ((index - 1) / PER_DOUBLING);
}

function indexOf(key: string): number {
  const match = KEY.exec(key);
  if (!match?.[1]) throw new RangeError(`not a histogram bucket: ${JSON.stringify(key)}`);
  return Number(match[1]);
}

/** Non-empty buckets, ascending; RangeError for a key or count that no ADD of ours could have written. */
function buckets(hist: Readonly<Histogram>): Array<{ key: string; index: number; count: number }> {
  return Object.entries(hist)
    .map(([key, value]) => {
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(`bucket ${key} must hold a non-negative integer count, got ${value}`);
      }
      return { key, index: indexOf(key), count: value };
    })
    .filter((bucket) => bucket.count > 0)
    .sort((a, b) => a.index - b.index);
}
