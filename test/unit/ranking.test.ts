import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RankEntry, ShardRead } from '../../lib/model/ranking.js';
import { serialiseSum } from '../../lib/model/score.js';
import { shardOf } from '../../lib/model/shard.js';
import { mergeShards } from '../../lib/ranking/merge.js';
import { presentRankEntry } from '../../lib/ranking/rank-entry.js';
import { addPoints, ZERO_SUM } from '../../lib/scoring/decay.js';

type Item = { key: string; matches: boolean };

/** A shard Query as DynamoDB runs it: descending, Limit counts evaluated items, a filter drops some of them. */
function queryShard(
  shard: number,
  items: Item[],
  below: string | undefined,
  limit: number,
): ShardRead<string> {
  const remaining = items.filter((item) => below === undefined || item.key < below);
  const evaluated = remaining.slice(0, limit);
  return {
    shard,
    items: evaluated.filter((item) => item.matches).map((item) => ({ sortKey: item.key, value: item.key })),
    lastKey: remaining.length > limit ? evaluated[evaluated.length - 1]!.key : undefined,
  };
}

const shardsArb = fc
  .array(
    fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 6 }), matches: fc.boolean() }), {
      maxLength: 25,
    }),
    {
      minLength: 1,
      maxLength: 6,
    },
  )
  .map((shards) => {
    // Keys are unique across shards (the prospect id ends every key), sorted descending within a shard.
    const seen = new Set<string>();
    return shards.map((items) =>
      items
        .filter((item) => !seen.has(item.key) && seen.add(item.key))
        .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0)),
    );
  });

describe('mergeShards', () => {
  it('walks every matching item exactly once, in global order, one query per shard per page (property)', () => {
    fc.assert(
      fc.property(shardsArb, fc.integer({ min: 1, max: 7 }), (shards, limit) => {
        const expected = shards
          .flat()
          .filter((item) => item.matches)
          .map((item) => item.key)
          .sort()
          .reverse();
        const walked: string[] = [];
        let positions: Record<number, string | null> = {};
        for (let page = 0; page < 1000; page++) {
          const reads = shards
            .map((items, shard) => ({ items, shard }))
            .filter(({ shard }) => positions[shard] !== null)
            .map(({ items, shard }) => queryShard(shard, items, positions[shard] ?? undefined, limit));
          const merged = mergeShards(reads, limit, positions);
          expect(merged.items.length).toBeLessThanOrEqual(limit);
          walked.push(...merged.items);
          positions = merged.positions;
          if (!merged.more) break;
        }
        expect(walked).toEqual(expected);
      }),
    );
  });

  it('fills a page when nothing is filtered out', () => {
    const shards = [
      ['9', '7', '5', '3', '1'],
      ['8', '6', '4', '2', '0'],
    ].map((keys) => keys.map((key) => ({ key, matches: true })));
    const reads = shards.map((items, shard) => queryShard(shard, items, undefined, 3));
    expect(mergeShards(reads, 3, {}).items).toEqual(['9', '8', '7']);
  });
});

describe('presentRankEntry', () => {
  const now = Date.UTC(2026, 10, 24);
  const day = 86_400_000;
  const entry: RankEntry = {
    icpId: 'icp',
    version: 1,
    shard: 0,
    sortKey: 'x',
    prospectId: 'p',
    validFrom: new Date(now).toISOString(),
    grade: 'A',
    fit: 55,
    engagement: serialiseSum(addPoints(ZERO_SUM, 40, now, 14)),
    engagementKey: 'x',
    qualified: false,
    lastTouchpointAt: null,
    segments: [],
    reasons: [
      { text: 'Company of 50 to 1,000 employees', points: 30 },
      { text: 'Free-mail address', points: -30 },
      { text: 'Requested a demo', sum: serialiseSum(addPoints(ZERO_SUM, 40, now, 14)) },
      { text: 'Read the docs', sum: serialiseSum(addPoints(ZERO_SUM, 2, now, 14)) },
    ],
  };

  it('decays engagement and its reasons to the time of the read, largest first', () => {
    const item = presentRankEntry(entry, 14, now + 14 * day);
    expect(item.engagement).toBe(20);
    expect(item.topReasons).toEqual([
      'Company of 50 to 1,000 employees: +30',
      'Free-mail address: -30',
      'Requested a demo: +20',
    ]);
  });

  it('spreads prospects evenly over shards', () => {
    const counts = [0, 0, 0, 0];
    for (let index = 0; index < 4000; index++) counts[shardOf(`prospect-${index}`, 4)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(900);
  });
});
