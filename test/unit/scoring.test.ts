import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import icpDocument from '../../config/example/icps/saas-midmarket.json' with { type: 'json' };
import { icpSchema, segmentSchema } from '../../lib/model/icp.js';
import type { ScoreRecord } from '../../lib/model/score.js';
import type { Touchpoint } from '../../lib/model/touchpoint.js';
import {
  addPoints,
  combine,
  LANDMARK_MS,
  netLog,
  timeWhenValueFallsTo,
  valueAt,
  ZERO_SUM,
} from '../../lib/scoring/decay.js';
import { emailTypeOf, seniorityOf } from '../../lib/scoring/derived-traits.js';
import { evaluateFit, segmentsOf } from '../../lib/scoring/fit.js';
import { globMatch } from '../../lib/scoring/glob.js';
import { engagementKey, rankSortKey } from '../../lib/scoring/rank-key.js';
import {
  applyTouchpoint,
  duration,
  EMPTY_STATE,
  engagementAt,
  explain,
  nextQualification,
  type ResponseMilestones,
} from '../../lib/scoring/score.js';
import {
  pendingTransition,
  presentScore,
  scoreHistory,
  scoreTouchpoint,
} from '../../lib/scoring/score-record.js';

const icp = icpSchema.parse(icpDocument);
const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 24, 12);

const touchpoint = (fields: Partial<Touchpoint> & Pick<Touchpoint, 'type'>): Touchpoint => ({
  eventId: Math.random().toString(36).slice(2),
  source: 'source:website',
  occurredAt: new Date(now).toISOString(),
  receivedAt: new Date(now).toISOString(),
  properties: {},
  ...fields,
});

describe('forward decay', () => {
  it('halves points every half-life', () => {
    const sum = addPoints(ZERO_SUM, 40, now, 14);
    expect(valueAt(sum, now, 14)).toBeCloseTo(40, 9);
    expect(valueAt(sum, now + 14 * DAY, 14)).toBeCloseTo(20, 9);
    expect(valueAt(sum, now + 28 * DAY, 14)).toBeCloseTo(10, 9);
  });

  it('matches a direct computation of decayed points for any history (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            points: fc.integer({ min: -100, max: 100 }),
            ageDays: fc.double({ min: 0, max: 400, noNaN: true }),
          }),
          { maxLength: 40 },
        ),
        fc.double({ min: 1, max: 90, noNaN: true }),
        (events, halfLife) => {
          let sum = ZERO_SUM;
          for (const event of events) sum = addPoints(sum, event.points, now - event.ageDays * DAY, halfLife);
          const direct = events.reduce(
            (total, event) => total + event.points * 2 ** (-event.ageDays / halfLife),
            0,
          );
          expect(valueAt(sum, now, halfLife)).toBeCloseTo(direct, 6);
        },
      ),
    );
  });

  it('keeps working decades after the landmark with a short half-life (no overflow)', () => {
    const far = LANDMARK_MS + 40 * 365 * DAY;
    const sum = addPoints(addPoints(ZERO_SUM, 10, far, 0.5), 5, far, 0.5);
    expect(valueAt(sum, far, 0.5)).toBeCloseTo(15, 9);
  });

  it('keeps negative points exactly: a penalty cancels equal points', () => {
    const sum = addPoints(addPoints(ZERO_SUM, 30, now, 14), -30, now, 14);
    expect(netLog(sum).sign).toBe(0);
    expect(valueAt(sum, now, 14)).toBeCloseTo(0, 9);
  });

  it('says when a value will have decayed to a threshold', () => {
    const sum = addPoints(ZERO_SUM, 80, now, 10);
    expect(timeWhenValueFallsTo(sum, 20, 10)).toBeCloseTo(now + 20 * DAY, -2);
  });
});

describe('ranking key', () => {
  it('orders like current engagement, at any time, for any sums (property)', () => {
    const sumArb = fc
      .array(
        fc.record({ points: fc.integer({ min: -50, max: 80 }), ageDays: fc.integer({ min: 0, max: 300 }) }),
        { maxLength: 12 },
      )
      .map((events) =>
        events.reduce((sum, event) => addPoints(sum, event.points, now - event.ageDays * DAY, 14), ZERO_SUM),
      );
    fc.assert(
      fc.property(sumArb, sumArb, fc.integer({ min: 0, max: 3000 }), (a, b, laterDays) => {
        const at = now + laterDays * DAY;
        const [va, vb] = [valueAt(a, at, 14), valueAt(b, at, 14)];
        const [ka, kb] = [engagementKey(a), engagementKey(b)];
        const scale = Math.max(Math.abs(va), Math.abs(vb));
        if (Math.abs(va - vb) > scale * 1e-8) expect(ka < kb).toBe(va < vb);
      }),
    );
  });

  it('puts every grade above the next whatever the engagement', () => {
    const huge = addPoints(ZERO_SUM, 1000, now, 14);
    expect(rankSortKey('A', ZERO_SUM, 'p1') > rankSortKey('B', huge, 'p2')).toBe(true);
    expect(rankSortKey('C', addPoints(ZERO_SUM, -5, now, 14), 'p1') > rankSortKey('D', huge, 'p2')).toBe(
      true,
    );
  });
});

describe('glob', () => {
  it('matches * and ? case-insensitively', () => {
    expect(globMatch('/pricing*', '/Pricing/enterprise')).toBe(true);
    expect(globMatch('/docs/?', '/docs/a')).toBe(true);
    expect(globMatch('/docs/?', '/docs/ab')).toBe(false);
    expect(globMatch('*engineer*', 'Senior Engineering Manager')).toBe(true);
  });

  it('runs in linear time on patterns that make regular expressions backtrack', () => {
    const started = performance.now();
    expect(globMatch(`${'*a'.repeat(30)}b`, 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('derived traits', () => {
  it('reads seniority from a title', () => {
    expect(seniorityOf('Co-Founder & CEO')).toBe('executive');
    expect(seniorityOf('VP Engineering')).toBe('vp');
    expect(seniorityOf('Head of Growth')).toBe('director');
    expect(seniorityOf('Engineering Manager')).toBe('manager');
    expect(seniorityOf('Software Engineer')).toBe('individual');
    expect(seniorityOf(undefined)).toBe('unknown');
  });

  it('classifies email domains', () => {
    expect(emailTypeOf('a@gmail.com', [])).toBe('free-mail');
    expect(emailTypeOf('a@eu.rival.example', ['rival.example'])).toBe('competitor');
    expect(emailTypeOf('a@acme.example', ['rival.example'])).toBe('business');
  });
});

describe('fit', () => {
  it('adds the points of every rule that holds and grades them', () => {
    const fit = evaluateFit(icp, {
      email: 'cto@acme.example',
      employees: 250,
      industry: 'Software',
      title: 'CTO',
      country: 'DE',
    });
    expect(fit.disqualifiedBy).toBeNull();
    expect(fit.grade).toBe('A');
    expect(fit.contributions.map((contribution) => contribution.ruleId)).toEqual(
      expect.arrayContaining(['company-size', 'software', 'decision-maker']),
    );
  });

  it('gives negative points for free-mail and grades competitors D', () => {
    const freeMail = evaluateFit(icp, { email: 'someone@gmail.com' });
    expect(freeMail.points).toBeLessThan(0);
    expect(freeMail.contributions).toContainEqual(
      expect.objectContaining({ ruleId: 'free-mail', points: -30 }),
    );
    const competitor = evaluateFit(icp, {
      email: 'spy@rival.example',
      employees: 300,
      industry: 'Software',
      title: 'CEO',
    });
    expect(competitor.grade).toBe('D');
    expect(competitor.disqualifiedBy).toBeTruthy();
  });

  it('puts prospects in the segments whose conditions hold', () => {
    const segments = [
      segmentSchema.parse({
        id: 'enterprise',
        name: 'Enterprise',
        conditions: [{ trait: 'employees', between: [1000, 10_000_000] }],
      }),
      segmentSchema.parse({
        id: 'dach',
        name: 'DACH',
        match: 'any',
        conditions: [{ trait: 'country', in: ['DE', 'AT', 'CH'] }],
      }),
    ];
    expect(segmentsOf(segments, { employees: 5000, country: 'AT' })).toEqual(['dach', 'enterprise']);
    expect(segmentsOf(segments, { employees: 50 })).toEqual([]);
  });
});

describe('engagement', () => {
  it('caps a rule per day and says so in the explanation', () => {
    let state = EMPTY_STATE;
    for (let visit = 0; visit < 5; visit++)
      state = applyTouchpoint(state, icp, touchpoint({ type: 'page', page: { path: '/pricing' } }));
    const pricing = icp.engagement.rules.find((rule) => rule.id === 'pricing')!;
    expect(engagementAt(state, icp, now)).toBeCloseTo(pricing.points * pricing.capPerDay!, 6);
    const line = explain(state, evaluateFit(icp, {}), icp, now).find((item) => item.ruleId === 'pricing')!;
    expect(line.text).toBe(
      `${pricing.reason} (5 times this week, 2 over the daily cap): +${pricing.points * 3}`,
    );
  });

  it('explains decayed points now, in plain words', () => {
    const twoWeeksAgo = new Date(now - icp.halfLifeDays * DAY).toISOString();
    const state = applyTouchpoint(
      EMPTY_STATE,
      icp,
      touchpoint({ type: 'form', name: 'demo-request', occurredAt: twoWeeksAgo }),
    );
    const demo = icp.engagement.rules.find((rule) => rule.id === 'demo-request')!;
    const line = explain(state, evaluateFit(icp, {}), icp, now).find(
      (item) => item.ruleId === 'demo-request',
    )!;
    expect(line).toEqual({
      kind: 'engagement',
      ruleId: 'demo-request',
      text: `${demo.reason} (once, last on ${twoWeeksAgo.slice(0, 10)}): +${demo.points / 2}`,
      points: demo.points / 2,
    });
  });

  it('records survey answers as experience signals and scores detractors negatively', () => {
    const state = applyTouchpoint(
      EMPTY_STATE,
      icp,
      touchpoint({ type: 'track', name: 'Survey Answered', properties: { nps: 3 } }),
    );
    expect(state.experience.nps).toEqual({ score: 3, at: new Date(now).toISOString() });
    expect(engagementAt(state, icp, now)).toBe(0);
    expect(valueAt(state.engagement, now, icp.halfLifeDays)).toBeLessThan(0);
    expect(
      explain(state, evaluateFit(icp, {}), icp, now).some(
        (line) => line.text === `Answered NPS 3 on ${new Date(now).toISOString().slice(0, 10)}`,
      ),
    ).toBe(true);
  });

  it('is independent of the order touchpoints arrive in (property)', () => {
    const events = [
      touchpoint({
        type: 'page',
        page: { path: '/pricing' },
        occurredAt: new Date(now - 3 * DAY).toISOString(),
      }),
      touchpoint({ type: 'form', name: 'demo-request', occurredAt: new Date(now - DAY).toISOString() }),
      touchpoint({
        type: 'track',
        name: 'Trial Started',
        occurredAt: new Date(now - 10 * DAY).toISOString(),
      }),
      touchpoint({
        type: 'page',
        page: { path: '/careers' },
        occurredAt: new Date(now - 2 * DAY).toISOString(),
      }),
    ];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        (ordered) => {
          const state = ordered.reduce((current, event) => applyTouchpoint(current, icp, event), EMPTY_STATE);
          const reference = events.reduce(
            (current, event) => applyTouchpoint(current, icp, event),
            EMPTY_STATE,
          );
          expect(valueAt(state.engagement, now, icp.halfLifeDays)).toBeCloseTo(
            valueAt(reference.engagement, now, icp.halfLifeDays),
            9,
          );
        },
      ),
    );
  });
});

describe('qualification', () => {
  const fitA = evaluateFit(icp, {
    email: 'cto@acme.example',
    employees: 250,
    industry: 'Software',
    title: 'CTO',
  });
  const { qualifyAt, dropAt } = icp.qualification;
  it('qualifies at qualifyAt and drops only below dropAt (hysteresis)', () => {
    expect(nextQualification(false, fitA, qualifyAt - 1, icp)).toBe(false);
    expect(nextQualification(false, fitA, qualifyAt, icp)).toBe(true);
    expect(nextQualification(true, fitA, (qualifyAt + dropAt) / 2, icp)).toBe(true);
    expect(nextQualification(true, fitA, dropAt - 0.01, icp)).toBe(false);
  });

  it('never qualifies a grade the ICP does not allow', () => {
    expect(nextQualification(false, evaluateFit(icp, { email: 'x@gmail.com' }), qualifyAt * 10, icp)).toBe(
      false,
    );
  });
});

describe('combine', () => {
  it('adds two sums', () => {
    const a = addPoints(ZERO_SUM, 10, now, 7);
    const b = addPoints(ZERO_SUM, -4, now, 7);
    expect(valueAt(combine(a, b), now, 7)).toBeCloseTo(6, 9);
  });
});

describe('score records', () => {
  const input = (known = true) => ({
    icp,
    version: 1,
    prospectId: 'p1',
    known,
    traits: { email: 'cto@acme.example', employees: 250, title: 'CTO' },
    segmentDefinitions: [],
    now: new Date(now),
  });
  const pageArb = fc.record({
    path: fc.constantFrom('/pricing', '/docs', '/careers', '/'),
    hoursAgo: fc.integer({ min: 0, max: 24 * 30 }),
  });

  it('gives the same score recomputed from history as folded touchpoint by touchpoint (property)', () => {
    fc.assert(
      fc.property(fc.array(pageArb, { maxLength: 20 }), (pages) => {
        const touchpoints = pages.map((page) =>
          touchpoint({
            type: 'page',
            page: { path: page.path },
            occurredAt: new Date(now - page.hoursAgo * 3_600_000).toISOString(),
          }),
        );
        let folded: ScoreRecord | undefined;
        for (const item of touchpoints) folded = scoreTouchpoint(input(), folded, item);
        const recomputed = scoreHistory(input(), touchpoints, {});
        if (!folded) return;
        expect(recomputed.state).toEqual(folded.state);
        expect(recomputed.rank?.sortKey).toBe(folded.rank?.sortKey);
        expect(recomputed.qualified).toBe(folded.qualified);
      }),
    );
  });

  it('ranks known people only, and keeps a rank position while its key is unchanged', () => {
    const demo = touchpoint({ type: 'form', name: 'demo-request' });
    expect(scoreTouchpoint(input(false), undefined, demo).rank).toBeUndefined();
    const first = scoreTouchpoint(input(), undefined, demo);
    const later = { ...input(), now: new Date(now + 60_000) };
    const unchanged = scoreTouchpoint(later, first, touchpoint({ type: 'page', page: { path: '/blog' } }));
    expect(unchanged.rank).toEqual(first.rank);
    const moved = scoreTouchpoint(later, first, touchpoint({ type: 'page', page: { path: '/pricing' } }));
    expect(moved.rank?.validFrom).toBe(new Date(now + 60_000).toISOString());
    expect(moved.rank!.sortKey > first.rank!.sortKey).toBe(true);
  });

  it('owes an announcement until it is made', () => {
    let record = scoreTouchpoint(input(), undefined, touchpoint({ type: 'form', name: 'demo-request' }));
    expect(pendingTransition(record)).toBeUndefined();
    record = scoreTouchpoint(input(), record, touchpoint({ type: 'track', name: 'Trial Started' }));
    expect(record.qualified).toBe(true);
    expect(pendingTransition(record)).toBe('qualified');
    expect(pendingTransition({ ...record, announced: true })).toBeUndefined();
  });
});

describe('experience signals in the explanation', () => {
  const HOUR = 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const experienceLines = (milestones: ResponseMilestones | undefined) =>
    explain(EMPTY_STATE, evaluateFit(icp, {}), icp, now, { milestones }).filter(
      (line) => line.kind === 'experience',
    );

  it('says how long the prospect waited for a first response, once answered, with no points', () => {
    expect(
      experienceLines({
        firstFormAt: iso(now - 3 * DAY),
        firstFormId: 'demo-request',
        firstResponseAt: iso(now - 3 * DAY + 5 * HOUR + 59 * 60_000),
      }),
    ).toEqual([
      { kind: 'experience', text: 'Waited 5 h for a first response after the demo request', points: 0 },
    ]);
  });

  it('says how long the prospect has been waiting, as of the time asked, while nobody answered', () => {
    const milestones = { firstFormAt: iso(now - 2.5 * DAY), firstFormId: 'demo-request' };
    expect(experienceLines(milestones)).toEqual([
      { kind: 'experience', text: 'Waiting 2 days for a first response since the demo request', points: 0 },
    ]);
    const dayLater = explain(EMPTY_STATE, evaluateFit(icp, {}), icp, now + DAY, { milestones });
    expect(dayLater.map((line) => line.text)).toContain(
      'Waiting 3 days for a first response since the demo request',
    );
  });

  it('says nothing of a wait before any form was submitted', () => {
    expect(experienceLines(undefined)).toEqual([]);
    expect(experienceLines({ firstResponseAt: iso(now) })).toEqual([]);
  });

  it('shows the wait on a score folded from a demo request and a sales call', () => {
    const input = {
      icp,
      version: 1,
      prospectId: 'p1',
      known: true,
      traits: { email: 'cto@acme.example' },
      segmentDefinitions: [],
      now: new Date(now),
    };
    const form = touchpoint({ type: 'form', name: 'demo-request', occurredAt: iso(now - 26 * HOUR) });
    const note = touchpoint({ type: 'activity', name: 'note', occurredAt: iso(now - 25 * HOUR) });
    const call = touchpoint({ type: 'activity', name: 'call', occurredAt: iso(now - 2 * HOUR) });
    const asked = scoreTouchpoint(input, undefined, form);
    const waitingLine = (record: ScoreRecord) =>
      presentScore(record, icp, new Date(now)).explanation.find((line) => line.kind === 'experience');
    expect(waitingLine(asked)?.text).toBe('Waiting 26 h for a first response since the demo request');
    // A note is internal: the prospect is still waiting.
    const noted = scoreTouchpoint(input, asked, note);
    expect(waitingLine(noted)?.text).toBe('Waiting 26 h for a first response since the demo request');
    expect(waitingLine(scoreTouchpoint(input, noted, call))).toEqual({
      kind: 'experience',
      text: 'Waited 24 h for a first response after the demo request',
      points: 0,
    });
  });

  it('rounds waits down to whole minutes, hours or days', () => {
    expect(duration(59_000)).toBe('under a minute');
    expect(duration(-5_000)).toBe('under a minute');
    expect(duration(45 * 60_000)).toBe('45 min');
    expect(duration(HOUR)).toBe('1 h');
    expect(duration(47 * HOUR + 59 * 60_000)).toBe('47 h');
    expect(duration(48 * HOUR)).toBe('2 days');
  });
});
