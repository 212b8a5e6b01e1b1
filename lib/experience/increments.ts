import type { CounterIncrement, Dimension } from '../model/counters.js';
import type { ScoreRecord } from '../model/score.js';
import { shardOf } from '../model/shard.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { surveyAnswers } from '../scoring/engagement.js';
import { bucketAttribute } from './histogram.js';
import { type NpsCategory, npsCategory } from './metrics.js';

/**
 * What one change of a served score adds to the experience counters (GET /v1/experience). Pure: the scorer
 * commits the result in the transaction that writes the score, so every increment happens exactly once.
 *
 * Counter names are fixed strings or histogram buckets (never input), so they are safe as attribute names.
 */

/**
 * A hot day's counters are spread over this many items by prospect: transactions of different prospects then
 * rarely touch the same item, and a report reads at most this many items per group per day.
 */
export const AGGREGATE_SHARDS = 4;

export const COUNTERS = {
  prospects: 'prospects',
  customers: 'customers',
  qualified: 'qualified',
  qualifiedConverted: 'qualifiedConverted',
  formsSubmitted: 'forms:submitted',
  firstResponse: 'firstResponse',
  nps: (who: Audience, category: 'promoter' | 'passive' | 'detractor') => `nps:${who}:${category}`,
  csatSum: (who: Audience) => `csat:${who}:sum`,
  csatCount: (who: Audience) => `csat:${who}:count`,
  expectation: (expectationId: string, outcome: ExpectationCount) =>
    `expectation:${outcome}:${expectationId}`,
  /** NPS answers of people whose promise was kept (`met`) or broken, by category: beside the promise's figures. */
  expectationNps: (expectationId: string, outcome: 'met' | 'broken', category: NpsCategory) =>
    `expectation:nps:${outcome}:${expectationId}:${category}`,
  onboardingSkipped: 'onboarding:skipped',
  onboardingSkippedBy: (code: string) => `onboarding:skipped:${code}`,
} as const;

/** Whether the person was a customer when they answered: their answers are reported apart. */
export type Audience = 'prospect' | 'customer';
export type ExpectationCount = 'given' | 'met' | 'broken';

export type IncrementInput = {
  previous: ScoreRecord | undefined;
  record: ScoreRecord;
  /** The touchpoint applied, or undefined for a re-check (decay, no new touchpoint). */
  touchpoint?: Touchpoint;
  /** The earlier version of the touchpoint, counted before (a changed survey answer): its answer is taken out. */
  replaces?: Touchpoint;
  /** The profile's first conversion time: the profile can know it before its touchpoint reaches the scorer. */
  customerSince?: string;
  now: Date;
};

/**
 * Counters for the change from `previous` to `record`:
 * - `prospects`: a known prospect's first score (or a visitor becoming known), in its grade and segments; in its
 *   first form's group when it is known and has submitted a form (whichever comes second).
 * - `nps:<audience>:<category>`, `csat:<audience>:sum|count`: every survey answer, audience by the time of answer.
 * - `firstResponse.<bucket>`: seconds from the first form submission to the first sales activity, once.
 * - `qualified`: the first qualification of someone not yet a customer, on that day (the cohort);
 *   `qualifiedConverted`: that cohort's conversion, added to the cohort's own day items, so it never exceeds it.
 * - `customers`: the first conversion.
 * - `forms:submitted`: every stored submission, in the submitted form's group (friction's denominator).
 * Prospect-level counters go to the groups the prospect is in at the event: its grade, each segment, its first form.
 */
export function scoreIncrements(input: IncrementInput): CounterIncrement[] {
  const { previous, record, touchpoint } = input;
  const before = previous?.milestones ?? {};
  const after = record.milestones ?? {};
  const eventAt = touchpoint?.occurredAt ?? input.now.toISOString();
  const day = eventAt.slice(0, 10);
  const shard = shardOf(record.prospectId, AGGREGATE_SHARDS);
  const out = new Increments(shard);
  const groups: [Dimension, string][] = [
    ['grade', record.fit.grade],
    ...record.segments.map((segment): [Dimension, string] => ['segment', segment]),
  ];
  const formGroup: [Dimension, string][] = after.firstFormId ? [['form', after.firstFormId]] : [];
  const everyGroup = [...groups, ...formGroup];
  const known = Boolean(record.rank);

  const becameKnown = known && !previous?.rank;
  if (becameKnown) out.addTo(groups, day, COUNTERS.prospects, 1);
  if (known && after.firstFormId && (becameKnown || !before.firstFormAt))
    out.addTo(formGroup, day, COUNTERS.prospects, 1);

  const customerSince = earliest(input.customerSince, before.customerAt);
  if (touchpoint) {
    const audience: Audience =
      customerSince !== undefined && customerSince <= touchpoint.occurredAt ? 'customer' : 'prospect';
    if (input.replaces) addAnswers(out, everyGroup, day, audience, input.replaces, -1);
    addAnswers(out, everyGroup, day, audience, touchpoint, 1);
    if (touchpoint.type === 'form' && touchpoint.name)
      out.add('form', touchpoint.name, day, COUNTERS.formsSubmitted, 1);
  }

  if (after.firstResponseAt && !before.firstResponseAt && after.firstFormAt) {
    const seconds = (Date.parse(after.firstResponseAt) - Date.parse(after.firstFormAt)) / 1000;
    out.addTo(everyGroup, day, bucketAttribute(COUNTERS.firstResponse, Math.max(0, seconds)), 1);
  }

  const cohort = after.qualifiedCohort;
  const cohortGroups = (): [Dimension, string][] =>
    cohort
      ? [
          ['grade', cohort.grade],
          ...cohort.segments.map((segment): [Dimension, string] => ['segment', segment]),
          ...(cohort.form ? [['form', cohort.form] as [Dimension, string]] : []),
        ]
      : [];
  const qualifiedNow = after.firstQualifiedAt && !before.firstQualifiedAt;
  // A customer who later reaches the threshold is not a qualified lead: the cohort holds prospects only.
  if (qualifiedNow && cohort && (customerSince === undefined || after.firstQualifiedAt! < customerSince))
    out.addTo(cohortGroups(), cohort.day, COUNTERS.qualified, 1);

  const convertedNow = after.customerAt && !before.customerAt;
  // A replayed first conversion is the same conversion; a later one (an upgrade) never reaches here.
  if (convertedNow && (input.customerSince === undefined || input.customerSince >= after.customerAt!)) {
    out.addTo(everyGroup, day, COUNTERS.customers, 1);
    if (cohort && after.firstQualifiedAt! < after.customerAt!)
      out.addTo(cohortGroups(), cohort.day, COUNTERS.qualifiedConverted, 1);
  }
  return out.list();
}

/**
 * Counters of one promise an onboarding sequence made (`given`), and of its outcome (`met` or `broken`), for the
 * `sequence` groups: all three are counted on the day it was given, so `open` = given - met - broken is exact
 * for any day range. The onboarding side calls this once per outcome, inside the write that records it.
 */
export function expectationIncrements(input: {
  prospectId: string;
  sequenceId: string;
  expectationId: string;
  givenAt: string;
  count: ExpectationCount;
}): CounterIncrement[] {
  const out = new Increments(shardOf(input.prospectId, AGGREGATE_SHARDS));
  out.add(
    'sequence',
    input.sequenceId,
    input.givenAt.slice(0, 10),
    COUNTERS.expectation(input.expectationId, input.count),
    1,
  );
  return out.list();
}

/** A touchpoint's survey answers counted in (`sign` 1) or taken out again (-1, an answer that was replaced). */
function addAnswers(
  out: Increments,
  groups: readonly [Dimension, string][],
  day: string,
  audience: Audience,
  touchpoint: Touchpoint,
  sign: 1 | -1,
): void {
  const answers = surveyAnswers(touchpoint);
  const category = answers.nps === undefined ? null : npsCategory(answers.nps);
  if (category) out.addTo(groups, day, COUNTERS.nps(audience, category), sign);
  if (answers.csat !== undefined) {
    out.addTo(groups, day, COUNTERS.csatSum(audience), sign * answers.csat);
    out.addTo(groups, day, COUNTERS.csatCount(audience), sign);
  }
}

/**
 * What a survey answer adds to the groups of onboarding sequences (counters that belong to no ICP, added once per
 * answer whatever the number of ICPs): an answer to a sequence's survey step in that sequence's group, and any NPS
 * answer in the group of each sequence whose promise to this person was decided, split by kept (`met`) or broken,
 * on the day the promise was given. A replaced answer is taken out with the same keys.
 */
export function surveySequenceIncrements(input: {
  prospectId: string;
  touchpoint: Touchpoint;
  replaces?: Touchpoint | undefined;
  customer: boolean;
  expectations: readonly {
    sequenceId: string;
    expectationId: string;
    givenAt: string;
    status: string;
  }[];
}): CounterIncrement[] {
  const out = new Increments(shardOf(input.prospectId, AGGREGATE_SHARDS));
  const audience: Audience = input.customer ? 'customer' : 'prospect';
  const day = input.touchpoint.occurredAt.slice(0, 10);
  const versions: [Touchpoint, 1 | -1][] = [
    ...(input.replaces ? [[input.replaces, -1] as [Touchpoint, -1]] : []),
    [input.touchpoint, 1],
  ];
  for (const [version, sign] of versions) {
    const sequenceId = version.type === 'survey' ? version.properties.sequenceId : undefined;
    if (typeof sequenceId === 'string')
      addAnswers(out, [['sequence', sequenceId]], day, audience, version, sign);
    const nps = surveyAnswers(version).nps;
    const category = nps === undefined ? null : npsCategory(nps);
    if (!category) continue;
    for (const expectation of input.expectations) {
      if (expectation.status !== 'met' && expectation.status !== 'broken') continue;
      out.add(
        'sequence',
        expectation.sequenceId,
        expectation.givenAt.slice(0, 10),
        COUNTERS.expectationNps(expectation.expectationId, expectation.status, category),
        sign,
      );
    }
  }
  return out.list();
}

function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** Increments merged by item: a transaction may not touch one item twice. */
class Increments {
  readonly #items = new Map<string, CounterIncrement>();
  constructor(readonly shard: number) {}

  add(dimension: Dimension, value: string, day: string, counter: string, amount: number) {
    const id = `${dimension}|${value}|${day}`;
    const item = this.#items.get(id) ?? { dimension, value, day, shard: this.shard, add: {} };
    item.add[counter] = (item.add[counter] ?? 0) + amount;
    this.#items.set(id, item);
  }

  addTo(groups: readonly [Dimension, string][], day: string, counter: string, amount: number) {
    // A group listed twice (first form = cohort form) counts once.
    for (const [dimension, value] of new Map(groups.map(([d, v]) => [`${d}|${v}`, [d, v] as const])).values())
      this.add(dimension, value, day, counter, amount);
  }

  list(): CounterIncrement[] {
    return [...this.#items.values()];
  }
}

/**
 * A new customer who got no onboarding email at all (`onboarding.skipped`), counted once, on the day it was known,
 * in the groups they were counted in as a customer: their grade and segments on each ICP, and the sequence chosen
 * for them, if one was (its counters belong to no ICP: `forSequence`).
 */
export function skipIncrements(input: {
  prospectId: string;
  at: string;
  code: string;
  groups: { grades: Readonly<Record<string, string>>; segments: readonly string[] };
  sequenceId: string | null;
}): { byIcp: Record<string, CounterIncrement[]>; forSequence: CounterIncrement[] } {
  const day = input.at.slice(0, 10);
  const shard = shardOf(input.prospectId, AGGREGATE_SHARDS);
  const count = (out: Increments, dimension: Dimension, value: string) => {
    out.add(dimension, value, day, COUNTERS.onboardingSkipped, 1);
    out.add(dimension, value, day, COUNTERS.onboardingSkippedBy(input.code), 1);
  };
  const byIcp: Record<string, CounterIncrement[]> = {};
  for (const [icpId, grade] of Object.entries(input.groups.grades)) {
    const out = new Increments(shard);
    count(out, 'grade', grade);
    for (const segment of input.groups.segments) count(out, 'segment', segment);
    byIcp[icpId] = out.list();
  }
  const forSequence = new Increments(shard);
  if (input.sequenceId) count(forSequence, 'sequence', input.sequenceId);
  return { byIcp, forSequence: forSequence.list() };
}
