import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conversionRate,
  csatMean,
  exactQuantile,
  expectationSummary,
  frictionRatio,
  mergeCounters,
  nearestRank,
  nps,
  npsCategory,
  rollUp,
} from '../../lib/experience/metrics.js';
import type { CounterItem } from '../../lib/model/counters.js';

describe('npsCategory', () => {
  it('splits 0-6, 7-8 and 9-10 into detractors, passives and promoters', () => {
    expect([0, 6, 7, 8, 9, 10].map(npsCategory)).toEqual([
      'detractor',
      'detractor',
      'passive',
      'passive',
      'promoter',
      'promoter',
    ]);
  });

  it('is null for anything that is not an integer from 0 to 10', () => {
    for (const bad of [-1, 11, 7.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(npsCategory(bad)).toBeNull();
    }
  });
});

describe('nps', () => {
  it('is promoters minus detractors over all answers, in points', () => {
    expect(nps({ promoters: 5, passives: 3, detractors: 2 })).toEqual({ score: 30, answers: 10 });
    expect(nps({ promoters: 0, passives: 4, detractors: 0 })).toEqual({ score: 0, answers: 4 });
    expect(nps({ promoters: 3, passives: 0, detractors: 0 })).toEqual({ score: 100, answers: 3 });
    expect(nps({ promoters: 0, passives: 0, detractors: 1 })).toEqual({ score: -100, answers: 1 });
  });

  it('keeps one decimal, rounding halves away from zero alike for both signs', () => {
    // 200/3 = 66.666..., -100/3 = -33.333..., 100/16 = 6.25.
    expect(nps({ promoters: 2, passives: 1, detractors: 0 }).score).toBe(66.7);
    expect(nps({ promoters: 1, passives: 1, detractors: 1 }).score).toBe(0);
    expect(nps({ promoters: 0, passives: 2, detractors: 1 }).score).toBe(-33.3);
    expect(nps({ promoters: 1, passives: 15, detractors: 0 }).score).toBe(6.3);
    expect(nps({ promoters: 0, passives: 15, detractors: 1 }).score).toBe(-6.3);
  });

  it('has no score when nobody answered', () => {
    expect(nps({ promoters: 0, passives: 0, detractors: 0 })).toEqual({ score: null, answers: 0 });
  });

  it('refuses counts that are negative or fractional', () => {
    expect(() => nps({ promoters: -1, passives: 0, detractors: 2 })).toThrow(RangeError);
    expect(() => nps({ promoters: 1.5, passives: 0, detractors: 0 })).toThrow(RangeError);
  });

  it('always lies within -100 and 100 (property)', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), (promoters, passives, detractors) => {
        const { score, answers } = nps({ promoters, passives, detractors });
        expect(answers).toBe(promoters + passives + detractors);
        if (answers === 0) expect(score).toBeNull();
        else {
          expect(score).toBeGreaterThanOrEqual(-100);
          expect(score).toBeLessThanOrEqual(100);
          expect(Math.abs(score! - (100 * (promoters - detractors)) / answers)).toBeLessThanOrEqual(
            0.05 + 1e-9,
          );
        }
      }),
    );
  });
});

describe('csatMean', () => {
  it('is the mean answer to two decimals', () => {
    expect(csatMean({ sum: 13, count: 3 })).toBe(4.33);
    expect(csatMean({ sum: 5, count: 1 })).toBe(5);
    // 201/200 = 1.005 exactly, which binary floating point would round down.
    expect(csatMean({ sum: 201, count: 200 })).toBe(1.01);
  });

  it('is null when nobody answered', () => {
    expect(csatMean({ sum: 0, count: 0 })).toBeNull();
  });

  it('refuses a sum without answers', () => {
    expect(() => csatMean({ sum: 4, count: 0 })).toThrow(RangeError);
  });
});

describe('nearestRank', () => {
  it('is ceil(q * n), at least 1', () => {
    expect(nearestRank(10, 0)).toBe(1);
    expect(nearestRank(10, 0.5)).toBe(5);
    expect(nearestRank(10, 0.51)).toBe(6);
    expect(nearestRank(10, 1)).toBe(10);
    expect(nearestRank(1, 0.9)).toBe(1);
  });

  it('is not pushed up a rank by floating-point error', () => {
    expect(0.07 * 100).toBeGreaterThan(7);
    expect(nearestRank(100, 0.07)).toBe(7);
    expect(nearestRank(100, 0.55)).toBe(55);
  });

  it('refuses an empty set and q outside [0, 1]', () => {
    expect(() => nearestRank(0, 0.5)).toThrow(RangeError);
    expect(() => nearestRank(3, 1.01)).toThrow(RangeError);
    expect(() => nearestRank(3, Number.NaN)).toThrow(RangeError);
  });
});

describe('exactQuantile', () => {
  const oneToTen = [7, 3, 10, 1, 9, 2, 8, 4, 6, 5];

  it('takes the nearest-rank value of the sorted set', () => {
    expect(exactQuantile(oneToTen, 0.5)).toBe(5);
    expect(exactQuantile(oneToTen, 0.9)).toBe(9);
    expect(exactQuantile(oneToTen, 0.7)).toBe(7);
    expect(exactQuantile(oneToTen, 0)).toBe(1);
    expect(exactQuantile(oneToTen, 1)).toBe(10);
    expect(exactQuantile([15, 20, 35, 40, 50], 0.4)).toBe(20);
  });

  it('is null for no values and the value itself for one', () => {
    expect(exactQuantile([], 0.5)).toBeNull();
    expect(exactQuantile([42], 0)).toBe(42);
    expect(exactQuantile([42], 0.9)).toBe(42);
  });

  it('leaves its input in order', () => {
    const values = [3, 1, 2];
    exactQuantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses non-finite values', () => {
    expect(() => exactQuantile([1, Number.NaN], 0.5)).toThrow(RangeError);
  });

  it('returns a sample with at least q of the samples at or below it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const result = exactQuantile(values, q)!;
          expect(values).toContain(result);
          expect(values.filter((value) => value <= result).length).toBeGreaterThanOrEqual(
            q * values.length - 1e-9,
          );
          expect(values.filter((value) => value < result).length).toBeLessThan(
            Math.max(1, q * values.length),
          );
        },
      ),
    );
  });
});

describe('frictionRatio', () => {
  it('is failed submissions per successful one, to four decimals', () => {
    expect(frictionRatio({ failed: 3, succeeded: 4 })).toEqual({ ratio: 0.75, failed: 3, succeeded: 4 });
    expect(frictionRatio({ failed: 1, succeeded: 3 }).ratio).toBe(0.3333);
    expect(frictionRatio({ failed: 9, succeeded: 2 }).ratio).toBe(4.5);
    expect(frictionRatio({ failed: 0, succeeded: 5 }).ratio).toBe(0);
  });

  it('has no ratio without a successful submission, and keeps the failures to show', () => {
    expect(frictionRatio({ failed: 0, succeeded: 0 })).toEqual({ ratio: null, failed: 0, succeeded: 0 });
    expect(frictionRatio({ failed: 5, succeeded: 0 })).toEqual({ ratio: null, failed: 5, succeeded: 0 });
  });
});

describe('conversionRate', () => {
  it('is the share of qualified prospects that converted', () => {
    expect(conversionRate({ qualified: 8, converted: 2 })).toEqual({
      rate: 0.25,
      qualified: 8,
      converted: 2,
    });
    expect(conversionRate({ qualified: 3, converted: 2 }).rate).toBe(0.6667);
    expect(conversionRate({ qualified: 1, converted: 1 }).rate).toBe(1);
  });

  it('has no rate when nobody qualified', () => {
    expect(conversionRate({ qualified: 0, converted: 0 })).toEqual({
      rate: null,
      qualified: 0,
      converted: 0,
    });
  });

  it('refuses more conversions than qualified prospects', () => {
    expect(() => conversionRate({ qualified: 2, converted: 3 })).toThrow(RangeError);
  });
});

describe('expectationSummary', () => {
  it('rates met against broken, leaving open ones out', () => {
    expect(expectationSummary({ met: 7, broken: 1, open: 4 })).toEqual({
      met: 7,
      broken: 1,
      open: 4,
      decided: 8,
      metRate: 0.875,
    });
  });

  it('has no rate while nothing is decided', () => {
    expect(expectationSummary({ met: 0, broken: 0, open: 3 }).metRate).toBeNull();
    expect(expectationSummary({ met: 0, broken: 0, open: 0 }).metRate).toBeNull();
  });

  it('rates all-broken as zero', () => {
    expect(expectationSummary({ met: 0, broken: 2, open: 0 }).metRate).toBe(0);
  });
});

describe('mergeCounters', () => {
  it('sums key by key, a missing key counting as zero', () => {
    expect(mergeCounters({ a: 1, b: 2 }, { b: 3, c: 4 })).toEqual({ a: 1, b: 5, c: 4 });
    expect(mergeCounters({}, {})).toEqual({});
  });

  it('keeps a counter named __proto__ as a counter', () => {
    const merged = mergeCounters(JSON.parse('{"__proto__": 2}'), JSON.parse('{"__proto__": 3}'));
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(merged, '__proto__')?.value).toBe(5);
  });

  it('refuses values that are not finite numbers', () => {
    expect(() => mergeCounters({ a: Number.NaN }, {})).toThrow(RangeError);
    expect(() => mergeCounters({ a: '1' as unknown as number }, {})).toThrow(TypeError);
  });
});

describe('rollUp', () => {
  it('sums day items into one total, merging nested maps', () => {
    const days: CounterItem[] = [
      { promoters: 2, detractors: 1, firstResponse: { b80: 1, b90: 2 } },
      { promoters: 1, passives: 4, firstResponse: { b90: 1 } },
      { detractors: 1, fieldFailures: { email: 2 } },
    ];
    expect(rollUp(days)).toEqual({
      promoters: 3,
      passives: 4,
      detractors: 2,
      firstResponse: { b80: 1, b90: 3 },
      fieldFailures: { email: 2 },
    });
  });

  it('is empty for no days and the day itself for one', () => {
    expect(rollUp([])).toEqual({});
    expect(rollUp([{ a: 1, h: { b1: 1 } }])).toEqual({ a: 1, h: { b1: 1 } });
  });

  it('refuses a name that is a number one day and a map another', () => {
    expect(() => rollUp([{ a: 1 }, { a: { b1: 1 } }])).toThrow(TypeError);
    expect(() => rollUp([{ a: { b1: 1 } }, { a: 1 }])).toThrow(TypeError);
  });

  it('refuses attributes that are not counters, such as an unstripped key', () => {
    expect(() => rollUp([{ PK: 'GROUP#A' } as never])).toThrow(TypeError);
    expect(() => rollUp([{ h: { nested: { b1: 1 } } } as never])).toThrow(TypeError);
  });

  it('gives the same total however the days are split (property)', () => {
    const day = fc.record(
      {
        promoters: fc.nat(100),
        detractors: fc.nat(100),
        firstResponse: fc.dictionary(fc.constantFrom('b1', 'b9', 'b80'), fc.nat(100), {
          noNullPrototype: true,
        }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(day, { maxLength: 10 }), fc.nat(10), (days, cut) => {
        const split = cut % (days.length + 1);
        expect(rollUp([rollUp(days.slice(0, split)), rollUp(days.slice(split))])).toEqual(rollUp(days));
        const promoters = days.reduce((sum, item) => sum + (item.promoters ?? 0), 0);
        expect(rollUp(days).promoters ?? 0).toBe(promoters);
      }),
    );
  });
});
