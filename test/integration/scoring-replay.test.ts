import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import icpDocument from '../../config/example/icps/saas-midmarket.json' with { type: 'json' };
import { icpSchema } from '../../lib/model/icp.js';
import { valueAt } from '../../lib/scoring/decay.js';
import { applyTouchpoint, EMPTY_STATE } from '../../lib/scoring/score.js';
import { readProspectScores } from '../../lib/store/scores.js';
import { touchpointFromItem } from '../../lib/store/touchpoints.js';
import { deliver, sendEvents, useScoringTable } from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

const icp = icpSchema.parse(icpDocument);
let stream: ReturnType<typeof streamReader>;

beforeAll(async () => {
  stream = await useScoringTable();
});

const eventArb = fc.oneof(
  fc
    .constantFrom('/pricing', '/docs/a', '/careers', '/blog')
    .map((path) => ({ type: 'page' as const, path })),
  fc.constantFrom('Trial Started', 'Clicked').map((name) => ({ type: 'track' as const, name })),
);

/** Lambda's delivery: in order, every record at least once, any suffix redelivered after a failure. */
const deliveryArb = (count: number) =>
  fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 6 }).map((draws) => {
    const batches: [number, number][] = [];
    let next = 0;
    for (const [startDraw, lengthDraw] of draws) {
      const start = startDraw % (next + 1);
      const end = Math.min(count, start + 1 + (lengthDraw % count));
      batches.push([start, end]);
      next = Math.max(next, end);
    }
    if (next < count) batches.push([next, count]);
    return batches;
  });

describe('scoreTouchpoints under replays', () => {
  it('gives the score of applying each touchpoint once, for any interleaving of replays (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(eventArb, { minLength: 1, maxLength: 12 })
          .chain((events) => fc.tuple(fc.constant(events), deliveryArb(events.length + 1))),
        async ([events, batches]) => {
          const userId = randomUUID();
          const base = Date.now() - 3 * 86_400_000;
          await sendEvents([
            {
              type: 'identify',
              userId,
              messageId: `${userId}-id`,
              timestamp: new Date(base).toISOString(),
              traits: { email: `${userId}@acme.example` },
            },
            ...events.map((event, index) => ({
              type: event.type,
              userId,
              messageId: `${userId}-${index}`,
              timestamp: new Date(base + index * 3_600_000).toISOString(),
              ...('path' in event ? { properties: { path: event.path } } : { event: event.name }),
            })),
          ]);
          const records = (await stream.next()).filter(
            (record) => record.dynamodb?.NewImage?.entity?.S === 'touchpoint',
          );
          expect(records).toHaveLength(events.length + 1);
          for (const [start, end] of batches) {
            const batch: DynamoDBRecord[] = records.slice(start, end);
            expect((await deliver(batch)).batchItemFailures).toEqual([]);
          }
          // Announcements the scorer wrote are touchpoints too; they change nothing, deliver them anyway.
          await deliver(await stream.next());

          let expected = EMPTY_STATE;
          for (const record of records)
            expected = applyTouchpoint(
              expected,
              icp,
              touchpointFromItem(unmarshall(record.dynamodb!.NewImage as never)),
            );
          const prospectId = records[0]!.dynamodb!.NewImage!.prospectId!.S!;
          const stored = (await readProspectScores(prospectId)).scores[0]!;
          const at = Date.now();
          expect(stored.state.touchpointsApplied).toBe(expected.touchpointsApplied);
          expect(valueAt(stored.state.engagement, at, icp.halfLifeDays)).toBeCloseTo(
            valueAt(expected.engagement, at, icp.halfLifeDays),
            9,
          );
          expect(stored.state.ledger).toEqual(expected.ledger);
        },
      ),
      { numRuns: 12 },
    );
  });
});
