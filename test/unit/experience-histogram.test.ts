import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketAttribute,
  bucketBounds,
  bucketOf,
  bucketValue,
  count,
  histogramIn,
  histogramOf,
  merge,
  quantile,
  RELATIVE_ERROR,
  record,
  summarise,
} from '../../lib/experience/histogram.js';
import { exactQuantile, rollUp } from '../../lib/experience/metrics.js';

const YEAR = 365 * 86_400;
const duration = fc.double({ min: 0, max: YEAR, noNaN: true, noDefaultInfinity: true });
const durations = fc.array(duration, { maxLength: 200 });
const q = fc.double({ min: 0, max: 1, noNaN: true });

describe('bucketOf', () => {
  it('puts sub-second durations in b0 and starts the log buckets at one second', () => {
    expect(bucketOf(0)).toBe('b0');
    expect(bucketOf(0.999)).toBe('b0');
    expect(bucketOf(1)).toBe('b1');
    expect(bucketOf(1.05)).toBe('b1');
    expect(bucketOf(2 ** (1 / 8))).toBe('b2');
    expect(bucketOf(2)).toBe('b9');
    expect(bucketOf(1.9999)).toBe('b8');
  });

  it('keeps keys within four characters for a year', () => {
    expect(bucketOf(YEAR)).toBe('b200');
  });

  it('refuses negative and non-finite durations', () => {
    for (const bad of [-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => bucketOf(bad)).toThrow(RangeError);
    }
  });

  it('places every duration inside the bounds of its bucket (property)', () => {
    fc.assert(
      fc.property(fc.oneof(duration, fc.integer({ min: 0, max: 2 ** 30 })), (seconds) => {
        const { lower, upper } = bucketBounds(bucketOf(seconds));
        expect(seconds).toBeGreaterThanOrEqual(lower);
        expect(seconds).toBeLessThan(upper);
      }),
    );
  });

  it('maps every bucket lower bound to that bucket', () => {
    for (let index = 0; index <= 250; index += 1) {
      const key = `b${index}`;
      expect(bucketOf(bucketBounds(key).lower)).toBe(key);
    }
  });
});

describe('bucketBounds', () => {
  it('gives adjacent buckets that grow by 2^(1/8)', () => {
    expect(bucketBounds('b0')).toEqual({ lower: 0, upper: 1 });
    expect(bucketBounds('b1')).toEqual({ lower: 1, upper: 2 ** (1 / 8) });
    expect(bucketBounds('b9').lower).toBe(2);
    expect(bucketBounds('b17').lower).toBe(4);
  });

  it('refuses keys it could not have produced', () => {
    for (const bad of ['', 'b', 'b-1', 'b01', 'b1.5', 'x3', '__proto__', 'b1 ']) {
      expect(() => bucketBounds(bad)).toThrow(RangeError);
    }
  });
});

describe('quantile', () => {
  it('is null for an empty histogram', () => {
    expect(quantile({}, 0.5)).toBeNull();
    expect(quantile({ b12: 0 }, 0.9)).toBeNull();
  });

  it('reports the geometric midpoint of the bucket holding the nearest-rank sample', () => {
    const hist = histogramOf([60, 60, 60, 3_600]);
    expect(quantile(hist, 0.5)).toBe(bucketValue(bucketOf(60)));
    expect(quantile(hist, 0.75)).toBe(bucketValue(bucketOf(60)));
    expect(quantile(hist, 0.76)).toBe(bucketValue(bucketOf(3_600)));
    expect(quantile(hist, 0)).toBe(bucketValue(bucketOf(60)));
    expect(quantile(hist, 1)).toBe(bucketValue(bucketOf(3_600)));
    expect(bucketValue('b9')).toBeCloseTo(2 ** (17 / 16), 12);
  });

  it('reports half a second for sub-second samples', () => {
    expect(quantile(histogramOf([0]), 0.5)).toBe(0.5);
  });

  it('returns the one sample of a single-sample histogram for any q, within the error bound', () => {
    const hist = histogramOf([7_200]);
    for (const at of [0, 0.5, 0.9, 1]) {
      expect(Math.abs(quantile(hist, at)! - 7_200) / 7_200).toBeLessThanOrEqual(RELATIVE_ERROR);
    }
  });

  it('refuses q outside [0, 1]', () => {
    for (const bad of [-0.1, 1.1, Number.NaN]) {
      expect(() => quantile({ b3: 1 }, bad)).toThrow(RangeError);
    }
  });

  it('refuses counts that no ADD could have written', () => {
    expect(() => quantile({ b3: -1 }, 0.5)).toThrow(RangeError);
    expect(() => quantile({ b3: 1.5 }, 0.5)).toThrow(RangeError);
    expect(() => quantile({ total: 3 }, 0.5)).toThrow(RangeError);
  });

  it('states an error bound of about 4.43 %', () => {
    expect(RELATIVE_ERROR).toBeCloseTo(0.0443, 4);
  });

  it('is within the relative error of the exact nearest-rank quantile, or 0.5 s below one second (property)', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 200 }), q, (samples, at) => {
        const exact = exactQuantile(samples, at)!;
        const estimate = quantile(histogramOf(samples), at)!;
        if (exact < 1) expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(0.5);
        else expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(RELATIVE_ERROR * (1 + 1e-12));
      }),
    );
  });
});

describe('merge', () => {
  it('gives the quantiles of the histogram of all samples (property)', () => {
    fc.assert(
      fc.property(durations, durations, q, (first, second, at) => {
        const merged = merge(histogramOf(first), histogramOf(second));
        expect(merged).toEqual(histogramOf([...first, ...second]));
        expect(quantile(merged, at)).toBe(quantile(histogramOf([...first, ...second]), at));
        expect(count(merged)).toBe(first.length + second.length);
      }),
    );
  });

  it('is commutative and leaves its inputs alone', () => {
    const a = { b1: 2, b40: 1 };
    const b = { b40: 3 };
    expect(merge(a, b)).toEqual({ b1: 2, b40: 4 });
    expect(merge(b, a)).toEqual(merge(a, b));
    expect(a).toEqual({ b1: 2, b40: 1 });
    expect(b).toEqual({ b40: 3 });
  });
});

describe('record and count', () => {
  it('adds samples one bucket at a time, as ADD #bucket :one does', () => {
    const hist = record(record({}, 90), 95, 2);
    expect(hist).toEqual({ [bucketOf(90)]: 1, [bucketOf(95)]: 2 });
    expect(count(hist)).toBe(3);
    expect(count({})).toBe(0);
  });

  it('refuses a non-positive or fractional number of samples', () => {
    expect(() => record({}, 10, 0)).toThrow(RangeError);
    expect(() => record({}, 10, 1.5)).toThrow(RangeError);
  });
});

describe('summarise', () => {
  it('gives count, median and 90th percentile, null when empty', () => {
    expect(summarise({})).toEqual({ count: 0, median: null, p90: null });
    const hist = histogramOf([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(summarise(hist)).toEqual({
      count: 10,
      median: bucketValue(bucketOf(50)),
      p90: bucketValue(bucketOf(90)),
    });
  });
});

describe('bucketAttribute and histogramIn', () => {
  it('round-trips a histogram through the flat attributes of day items', () => {
    const days = [
      {
        [bucketAttribute('firstResponse', 90)]: 1,
        [bucketAttribute('firstResponse', 7_200)]: 1,
        promoters: 2,
      },
      { [bucketAttribute('firstResponse', 95)]: 1, [bucketAttribute('firstResponseSales', 5)]: 1 },
    ];
    expect(bucketAttribute('firstResponse', 90)).toBe(`firstResponse.${bucketOf(90)}`);
    expect(histogramIn(rollUp(days), 'firstResponse')).toEqual(histogramOf([90, 95, 7_200]));
    expect(histogramIn({ promoters: 3 }, 'firstResponse')).toEqual({});
  });

  it('refuses an attribute under the metric that is not a bucket', () => {
    expect(() => histogramIn({ 'firstResponse.total': 3 }, 'firstResponse')).toThrow(RangeError);
    expect(() => histogramIn({ 'firstResponse.b3': 'x' }, 'firstResponse')).toThrow(RangeError);
  });
});
