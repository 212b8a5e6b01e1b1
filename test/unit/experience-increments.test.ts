import { describe, expect, it } from 'vitest';
import icpDocument from '../../config/example/icps/saas-midmarket.json' with { type: 'json' };
import smbDocument from '../../config/example/segments/smb.json' with { type: 'json' };
import { bucketOf } from '../../lib/experience/histogram.js';
import { AGGREGATE_SHARDS, expectationIncrements, scoreIncrements } from '../../lib/experience/increments.js';
import type { CounterIncrement } from '../../lib/model/counters.js';
import { icpSchema, segmentSchema } from '../../lib/model/icp.js';
import type { ScoreRecord } from '../../lib/model/score.js';
import { shardOf } from '../../lib/model/shard.js';
import type { Touchpoint } from '../../lib/model/touchpoint.js';
import type { Traits } from '../../lib/model/traits.js';
import { scoreTouchpoint } from '../../lib/scoring/score-record.js';

const icp = icpSchema.parse(icpDocument);
const segmentDefinitions = [segmentSchema.parse(smbDocument)];
const prospectId = 'a1b2c3d4e5f6a1b2c3d4e5f6';
const shard = shardOf(prospectId, AGGREGATE_SHARDS);
// CTO (+25) of a 20-person software company (+20): 45 points, grade B, segment smb.
const traits: Traits = { email: 'cto@small.example', title: 'CTO', employees: 20, industry: 'Software' };

let sequence = 0;
const touchpoint = (at: string, fields: Partial<Touchpoint> & Pick<Touchpoint, 'type'>): Touchpoint => ({
  eventId: `e${++sequence}`,
  source: 'source:website',
  occurredAt: at,
  receivedAt: at,
  properties: {},
  ...fields,
});
const form = (at: string, formId = 'demo-request', properties: Record<string, unknown> = {}) =>
  touchpoint(at, { type: 'form', source: `form:${formId}`, name: formId, properties });
const activity = (at: string, name: string) => touchpoint(at, { type: 'activity', name });

/** Applies touchpoints one by one as the scorer does; returns the last record and every increment on the way. */
function run(
  steps: Touchpoint[],
  options: { known?: boolean; customerSince?: string; previous?: ScoreRecord } = {},
): { record: ScoreRecord; increments: CounterIncrement[][] } {
  let previous = options.previous;
  const increments: CounterIncrement[][] = [];
  for (const step of steps) {
    const now = new Date(step.occurredAt);
    const input = {
      icp,
      version: 1,
      prospectId,
      known: options.known ?? true,
      traits,
      segmentDefinitions,
      now,
    };
    const record = scoreTouchpoint(input, previous, step);
    increments.push(
      scoreIncrements({
        previous,
        record,
        touchpoint: step,
        now,
        ...(options.customerSince ? { customerSince: options.customerSince } : {}),
      }),
    );
    previous = record;
  }
  return { record: previous!, increments };
}

/** Increments as `dimension=value@day` -> counters, for readable expectations. */
function byGroup(increments: CounterIncrement[]): Record<string, Record<string, number>> {
  for (const increment of increments) expect(increment.shard).toBe(shard);
  return Object.fromEntries(
    increments.map((item) => [`${item.dimension}=${item.value}@${item.day}`, item.add]),
  );
}

describe('scoreIncrements', () => {
  it('counts a known prospect once in its grade and segments, and in the group of its first form', () => {
    const { increments } = run([
      form('2026-03-02T09:00:00.000Z'),
      form('2026-03-03T09:00:00.000Z', 'newsletter'),
    ]);
    expect(byGroup(increments[0]!)).toEqual({
      'grade=B@2026-03-02': { prospects: 1 },
      'segment=smb@2026-03-02': { prospects: 1 },
      'form=demo-request@2026-03-02': { prospects: 1, 'forms:submitted': 1 },
    });
    // A later form is a submission of that form, not a new prospect.
    expect(byGroup(increments[1]!)).toEqual({ 'form=newsletter@2026-03-03': { 'forms:submitted': 1 } });
  });

  it('does not count an anonymous visitor, and counts them on the touchpoint that makes them known', () => {
    const anonymous = run([form('2026-03-02T09:00:00.000Z')], { known: false });
    expect(byGroup(anonymous.increments[0]!)).toEqual({
      'form=demo-request@2026-03-02': { 'forms:submitted': 1 },
    });
    const identified = run([touchpoint('2026-03-04T10:00:00.000Z', { type: 'identify' })], {
      previous: anonymous.record,
    });
    expect(byGroup(identified.increments[0]!)).toEqual({
      'grade=B@2026-03-04': { prospects: 1 },
      'segment=smb@2026-03-04': { prospects: 1 },
      'form=demo-request@2026-03-04': { prospects: 1 },
    });
  });

  it('counts NPS and CSAT answers by category, as a prospect before the conversion and a customer after', () => {
    const { increments } = run(
      [
        form('2026-03-02T09:00:00.000Z', 'demo-request', { nps: 7 }),
        touchpoint('2026-03-05T09:00:00.000Z', { type: 'track', name: 'Survey', properties: { nps: 6 } }),
        touchpoint('2026-03-06T09:00:00.000Z', { type: 'track', name: 'Survey', properties: { csat: 4 } }),
        touchpoint('2026-03-07T09:00:00.000Z', { type: 'track', name: 'Survey', properties: { nps: 8 } }),
      ],
      { customerSince: '2026-03-06T00:00:00.000Z' },
    );
    expect(byGroup(increments[0]!)['grade=B@2026-03-02']).toEqual({
      prospects: 1,
      'nps:prospect:passive': 1,
    });
    expect(byGroup(increments[1]!)).toEqual({
      'grade=B@2026-03-05': { 'nps:prospect:detractor': 1 },
      'segment=smb@2026-03-05': { 'nps:prospect:detractor': 1 },
      'form=demo-request@2026-03-05': { 'nps:prospect:detractor': 1 },
    });
    expect(byGroup(increments[2]!)['grade=B@2026-03-06']).toEqual({
      'csat:customer:sum': 4,
      'csat:customer:count': 1,
    });
    expect(byGroup(increments[3]!)['segment=smb@2026-03-07']).toEqual({ 'nps:customer:passive': 1 });
  });

  it('records the first sales activity after the first form once, as seconds in a histogram bucket', () => {
    const { increments, record } = run([
      activity('2026-03-01T08:00:00.000Z', 'call'), // before any form: outreach, not a response
      form('2026-03-02T09:00:00.000Z'),
      activity('2026-03-02T09:30:00.000Z', 'note'), // internal: answers nobody
      activity('2026-03-02T11:00:00.000Z', 'email-reply'),
      activity('2026-03-02T12:00:00.000Z', 'call'),
    ]);
    expect(byGroup(increments[0]!)).toEqual({
      'grade=B@2026-03-01': { prospects: 1 },
      'segment=smb@2026-03-01': { prospects: 1 },
    });
    expect(increments[2]).toEqual([]);
    const bucket = `firstResponse.${bucketOf(7200)}`;
    expect(byGroup(increments[3]!)).toEqual({
      'grade=B@2026-03-02': { [bucket]: 1 },
      'segment=smb@2026-03-02': { [bucket]: 1 },
      'form=demo-request@2026-03-02': { [bucket]: 1 },
    });
    expect(increments[4]).toEqual([]);
    expect(record.milestones).toMatchObject({
      firstFormAt: '2026-03-02T09:00:00.000Z',
      firstFormId: 'demo-request',
      firstResponseAt: '2026-03-02T11:00:00.000Z',
    });
  });

  it('counts the first qualification on its day, and a later conversion in that same cohort', () => {
    const pricing = (at: string) => touchpoint(at, { type: 'page', page: { path: '/pricing' } });
    // 40 (demo request) + 8 + 8 = 56 >= qualifyAt 50 on the third touchpoint, the same day.
    const { increments, record } = run([
      form('2026-03-02T09:00:00.000Z'),
      pricing('2026-03-02T09:10:00.000Z'),
      pricing('2026-03-02T09:20:00.000Z'),
      pricing('2026-03-02T09:30:00.000Z'),
      touchpoint('2026-03-20T15:00:00.000Z', { type: 'conversion', name: 'pro' }),
    ]);
    expect(byGroup(increments[2]!)).toEqual({
      'grade=B@2026-03-02': { qualified: 1 },
      'segment=smb@2026-03-02': { qualified: 1 },
      'form=demo-request@2026-03-02': { qualified: 1 },
    });
    expect(increments[3]).toEqual([]);
    expect(byGroup(increments[4]!)).toEqual({
      'grade=B@2026-03-20': { customers: 1 },
      'segment=smb@2026-03-20': { customers: 1 },
      'form=demo-request@2026-03-20': { customers: 1 },
      // The cohort's own day items: converted can never exceed qualified for any day range.
      'grade=B@2026-03-02': { qualifiedConverted: 1 },
      'segment=smb@2026-03-02': { qualifiedConverted: 1 },
      'form=demo-request@2026-03-02': { qualifiedConverted: 1 },
    });
    expect(record.milestones?.qualifiedCohort).toEqual({
      day: '2026-03-02',
      grade: 'B',
      segments: ['smb'],
      form: 'demo-request',
    });
  });

  it('does not count a customer who reaches the threshold as a qualified lead, nor a later upgrade as a customer', () => {
    const { increments } = run(
      [
        touchpoint('2026-03-01T09:00:00.000Z', { type: 'conversion', name: 'basic' }),
        form('2026-03-02T09:00:00.000Z'),
        touchpoint('2026-03-02T10:00:00.000Z', { type: 'track', name: 'Trial Started' }),
        touchpoint('2026-04-01T09:00:00.000Z', { type: 'conversion', name: 'pro' }),
      ],
      { customerSince: '2026-03-01T09:00:00.000Z' },
    );
    expect(byGroup(increments[0]!)['grade=B@2026-03-01']).toEqual({ prospects: 1, customers: 1 });
    const all = increments.flat();
    expect(all.filter((item) => 'qualified' in item.add)).toEqual([]);
    expect(all.filter((item) => 'customers' in item.add)).toHaveLength(2); // grade and segment, once
  });

  it('adds nothing for a record that changed without a touchpoint unless it qualified for the first time', () => {
    const { record } = run([form('2026-03-02T09:00:00.000Z')]);
    expect(scoreIncrements({ previous: record, record, now: new Date('2026-03-03T00:00:00Z') })).toEqual([]);
  });
});

describe('expectationIncrements', () => {
  it('counts a promise and its outcome on the day it was given, in the sequence group', () => {
    const input = {
      prospectId,
      sequenceId: 'saas-midmarket-onboarding',
      expectationId: 'first-response',
      givenAt: '2026-03-02T23:59:00.000Z',
    };
    expect(expectationIncrements({ ...input, count: 'broken' })).toEqual([
      {
        dimension: 'sequence',
        value: 'saas-midmarket-onboarding',
        day: '2026-03-02',
        shard,
        add: { 'expectation:broken:first-response': 1 },
      },
    ]);
  });
});
