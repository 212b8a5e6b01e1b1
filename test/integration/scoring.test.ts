import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as recheckQualification } from '../../functions/recheck-qualification.js';
import { touchpointExpiry } from '../../lib/capture/retention.js';
import { shardOf } from '../../lib/model/shard.js';
import type { Touchpoint } from '../../lib/model/touchpoint.js';
import { applyTouchpointToScores } from '../../lib/pipeline/apply-scores.js';
import { documents, queryAll } from '../../lib/store/client.js';
import { beginErasure } from '../../lib/store/erasure.js';
import { keys } from '../../lib/store/keys.js';
import { readProspectScores } from '../../lib/store/scores.js';
import { touchpointItem } from '../../lib/store/touchpoints.js';
import { lambdaContext } from '../../scripts/local/api-gateway.js';
import { scheduledEvent } from '../../scripts/local/scheduler.js';
import {
  ctoFields,
  deliver,
  drainIntoScores,
  readProspect,
  sendEvents,
  submitForm,
  useScoringTable,
} from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

let stream: ReturnType<typeof streamReader>;

beforeAll(async () => {
  stream = await useScoringTable();
});

const DAY = 86_400_000;

const pricingViews = (userId: string, count: number, at = new Date()) =>
  Array.from({ length: count }, (_, index) => ({
    type: 'page',
    userId,
    messageId: `${userId}-pricing-${index}`,
    timestamp: new Date(at.getTime() - index * 1000).toISOString(),
    properties: { path: '/pricing' },
  }));

async function scoreOf(prospectId: string) {
  const body = (await readProspect(prospectId)).json();
  return body.scores.find((score: { icpId: string }) => score.icpId === 'saas-midmarket');
}

describe('scoreTouchpoints', () => {
  it('grades fit, adds engagement and explains both in plain words, within one stream delivery', async () => {
    const prospectId = await submitForm(ctoFields(randomUUID()));
    await drainIntoScores(stream);
    const score = await scoreOf(prospectId);
    expect(score).toMatchObject({ grade: 'A', fit: 85, qualified: false });
    expect(score.engagement).toBeCloseTo(40, 1);
    const lines = score.explanation.map((line: { text: string }) => line.text);
    expect(lines).toContain('Company of 50 to 1,000 employees: +30');
    expect(lines).toContain('Decision maker by title: +25');
    expect(lines).toContain('Requested a demo (once this week): +40');
  });

  it('qualifies once when engagement crosses qualifyAt, and records it as a touchpoint', async () => {
    const tag = randomUUID();
    const prospectId = await submitForm(ctoFields(tag));
    await sendEvents([{ type: 'identify', userId: tag, traits: { email: `cto-${tag}@acme.example` } }]);
    await sendEvents(pricingViews(tag, 5));
    await drainIntoScores(stream);
    const score = await scoreOf(prospectId);
    // 40 for the demo request, 3 x 8 for pricing: the daily cap stops the last two views.
    expect(score.engagement).toBeCloseTo(64, 1);
    expect(score.qualified).toBe(true);
    expect(score.explanation.map((line: { text: string }) => line.text)).toContain(
      'Visited pricing (5 times this week, 2 over the daily cap): +24',
    );
    const timeline = (await readProspect(prospectId)).json().timeline.items;
    expect(timeline.filter((item: { type: string }) => item.type === 'qualified')).toHaveLength(1);
  });

  it('changes nothing when the same records are delivered again, whole or in part', async () => {
    const tag = randomUUID();
    const prospectId = await submitForm(ctoFields(tag));
    await sendEvents([{ type: 'identify', userId: tag, traits: { email: `cto-${tag}@acme.example` } }]);
    await sendEvents(pricingViews(tag, 2));
    const records = await drainIntoScores(stream);
    const before = await scoreOf(prospectId);
    expect((await deliver(records)).batchItemFailures).toEqual([]);
    expect((await deliver([...records.slice(1), ...records])).batchItemFailures).toEqual([]);
    expect(await stream.next()).toEqual([]);
    expect(await scoreOf(prospectId)).toEqual(before);
  });

  it('ignores REMOVE records and items that are not touchpoints', async () => {
    const prospectId = await submitForm(ctoFields(randomUUID()));
    const records = await drainIntoScores(stream);
    const before = await scoreOf(prospectId);
    const insert = records.find((record) => record.dynamodb?.NewImage?.entity?.S === 'touchpoint')!;
    const removal = {
      ...insert,
      eventName: 'REMOVE' as const,
      dynamodb: { ...insert.dynamodb, NewImage: undefined, OldImage: insert.dynamodb!.NewImage },
    };
    expect((await deliver([removal])).batchItemFailures).toEqual([]);
    expect(await scoreOf(prospectId)).toEqual(before);
  });

  it('drops a qualification once engagement decays below dropAt, on the scheduled re-check', async () => {
    const tag = randomUUID();
    const prospectId = await submitForm(ctoFields(tag));
    await sendEvents([{ type: 'identify', userId: tag, traits: { email: `cto-${tag}@acme.example` } }]);
    await sendEvents(pricingViews(tag, 3));
    await drainIntoScores(stream);
    expect((await scoreOf(prospectId)).qualified).toBe(true);
    // 64 points decay below dropAt (30) after about 15.3 days with a 14-day half-life.
    const later = new Date(Date.now() + 16 * DAY);
    await recheckQualification(
      scheduledEvent({ ruleName: 'recheckQualification' }, 'us-east-1', later),
      lambdaContext('recheckQualification'),
    );
    await drainIntoScores(stream);
    const timeline = (await readProspect(prospectId)).json().timeline.items;
    expect(timeline.map((item: { type: string }) => item.type)).toContain('unqualified');
    expect((await scoreOf(prospectId)).qualified).toBe(false);
    // A second re-check at the same time finds nothing to change.
    await recheckQualification(
      scheduledEvent({ ruleName: 'recheckQualification' }, 'us-east-1', later),
      lambdaContext('recheckQualification'),
    );
    await drainIntoScores(stream);
    const again = (await readProspect(prospectId)).json().timeline.items;
    expect(again.filter((item: { type: string }) => item.type === 'unqualified')).toHaveLength(1);
  });

  it('scores anonymous page views once they are stitched to the person, counted once', async () => {
    const anonymousId = randomUUID();
    await sendEvents(
      Array.from({ length: 2 }, (_, index) => ({
        type: 'page',
        anonymousId,
        messageId: `${anonymousId}-${index}`,
        properties: { path: '/pricing' },
      })),
    );
    await drainIntoScores(stream);
    const prospectId = await submitForm({ ...ctoFields(anonymousId), anonymousId });
    await drainIntoScores(stream);
    const score = await scoreOf(prospectId);
    expect(score.engagement).toBeCloseTo(40 + 2 * 8, 1);
  });

  it('keeps closed ranking entries only as long as a walk may need them, and at most 20', async () => {
    const prospectId = await submitForm(ctoFields(randomUUID()));
    await drainIntoScores(stream);
    const entries = async () =>
      (
        await queryAll({
          TableName: process.env.TABLE_NAME!,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: {
            ':pk': keys.rankPartition('saas-midmarket', 1, shardOf(prospectId, 4)),
          },
          ConsistentRead: true,
        })
      ).filter((item) => String(item.SK).endsWith(`#${prospectId}`));
    // A trial start (no daily cap, so it always moves the rank) stored and applied with the scorer's clock at `at`.
    const trialAt = async (at: Date, eventId: string) => {
      const touchpoint: Touchpoint = {
        eventId,
        type: 'track',
        name: 'Trial Started',
        source: 'source:website',
        occurredAt: at.toISOString(),
        receivedAt: at.toISOString(),
        properties: {},
      };
      await documents.send(
        new PutCommand({
          TableName: process.env.TABLE_NAME!,
          Item: touchpointItem(prospectId, touchpoint, touchpointExpiry(touchpoint)),
        }),
      );
      const key = keys.touchpoint(prospectId, touchpoint.occurredAt, eventId);
      expect(await applyTouchpointToScores(prospectId, touchpoint, key, () => at)).toBe('applied');
    };
    const start = Date.now();
    // 25 rank-changing touchpoints a minute apart: each closes the entry before it.
    for (let index = 0; index < 25; index++)
      await trialAt(new Date(start + index * 60_000), `churn-${index}`);
    let stored = await entries();
    // The current entry and the 20 newest closed ones: older ones were deleted once over the cap.
    expect(stored.filter((item) => !item.validTo)).toHaveLength(1);
    expect(stored.filter((item) => item.validTo)).toHaveLength(20);
    expect((await readProspectScores(prospectId)).scores[0]!.staleRanks).toHaveLength(20);

    // Half an hour after the last change no walk can need them: later changes delete them, two at a time (the
    // transaction stays small; TTL takes any left over).
    const late = start + (24 + 31) * 60_000;
    await trialAt(new Date(late), 'churn-late');
    expect((await entries()).filter((item) => item.validTo)).toHaveLength(20 - 2 + 1);
    for (let index = 1; index <= 9; index++)
      await trialAt(new Date(late + index * 60_000), `churn-late-${index}`);
    stored = await entries();
    const closed = stored.filter((item) => item.validTo);
    expect(closed).toHaveLength(10);
    for (const item of closed) expect(Date.parse(item.validTo as string)).toBeGreaterThanOrEqual(late);
  });

  it('leaves a prospect being erased alone: its records succeed and write nothing', async () => {
    const tag = randomUUID();
    const prospectId = await submitForm(ctoFields(tag));
    await sendEvents(
      pricingViews(tag, 1).map((event) => ({ ...event, userId: undefined, anonymousId: tag })),
    );
    const records = await stream.next();
    expect(await beginErasure(prospectId, 'test', new Date())).toBeDefined();
    expect((await deliver(records)).batchItemFailures).toEqual([]);
    expect((await readProspectScores(prospectId)).scores).toEqual([]);
  });
});
