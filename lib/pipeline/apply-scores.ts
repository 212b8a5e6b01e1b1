import { touchpointExpiry } from '../capture/retention.js';
import { scoreIncrements, surveySequenceIncrements } from '../experience/increments.js';
import type { ProspectProfile } from '../model/prospect.js';
import type { ScoreRecord } from '../model/score.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { expectationCounters } from '../onboarding/expectation-counters.js';
import { expectationsKeptBy } from '../onboarding/expectations.js';
import { planStarts, startTriggers } from '../onboarding/start-sequences.js';
import { surveyCount } from '../onboarding/survey-count.js';
import {
  pendingTransition,
  rescoreNow,
  type ScoringInput,
  scoreTouchpoint,
} from '../scoring/score-record.js';
import { loadIcpVersion, loadSegments } from '../scoring/scoring-config.js';
import { ANY_ICP, type CounterUpdate, counterUpdates } from '../store/aggregates.js';
import type { EnrollmentStart } from '../store/enrollments.js';
import type { TableKey } from '../store/keys.js';
import {
  type CommitOutcome,
  commitScores,
  type ProspectScores,
  readProspectScores,
  type ScoreWrite,
  type StoredScore,
} from '../store/scores.js';
import { activeVersions, getScoringState } from '../store/scoring-state.js';
import { sha256Hex } from '../util/crypto.js';
import { withRetries } from '../util/retry.js';
import { scoreWrite } from './score-write.js';

/** A plan older than this is recomputed rather than committed: it must stay well inside RANKING_READ_LAG_MS. */
const MAX_PLANNING_MS = 1000;
const RETRIES = { failure: 'Scores kept changing concurrently' };

/** Touchpoints that record what the system concluded, not what the person did: they never change a score. */
const SYSTEM_TYPES = new Set(['qualified', 'unqualified']);

export type ApplyOutcome = 'applied' | 'already-applied' | 'skipped';

/**
 * Applies one stored touchpoint to every served and building ICP version of its prospect, exactly once: the
 * touchpoint is marked scored in the same transaction that writes the scores, and every score write is
 * conditional on the revision read. Work is O(ICPs x rules), whatever the prospect's history. The same
 * transaction starts the sequences the touchpoint starts (a form, an event, a first response, a qualification).
 *
 * A survey answer counts once per survey sent: a changed answer (a later revision of the same touchpoint) takes the
 * counted one out and puts itself in, conditional on the revision counted (not on a scored mark).
 */
export async function applyTouchpointToScores(
  prospectId: string,
  touchpoint: Touchpoint,
  touchpointKey: TableKey,
  clock: () => Date = () => new Date(),
): Promise<ApplyOutcome> {
  if (SYSTEM_TYPES.has(touchpoint.type)) return 'skipped';
  const refused = new Set<string>();
  return withRetries(async () => {
    // Each attempt takes a fresh time: ranking entries become valid at it, and readers rely on a commit following
    // its time closely (see RANKING_READ_LAG_MS).
    const now = clock();
    const context = await loadContext(prospectId);
    if (!context) return 'skipped';
    const survey =
      touchpoint.type === 'survey' ? surveyCount(prospectId, touchpoint, context.responses) : undefined;
    if (survey?.counted) return 'already-applied';
    const replaces = survey?.replaces;
    const revision = touchpoint.revision ?? 1;
    const cause = `touchpoint|${touchpoint.eventId}${revision > 1 ? `|r${revision}` : ''}`;
    const plan = await planScores(
      context,
      now,
      cause,
      (input, previous) => scoreTouchpoint(input, previous, touchpoint, replaces),
      { touchpoint, replaces },
    );
    // A sales response keeps the promises onboarding made, in the transaction that marks it scored: once.
    const kept = expectationsKeptBy(context.expectations, touchpoint);
    const expectations = kept.map((expectation) => ({
      expectation,
      status: 'met' as const,
      at: now.toISOString(),
      respondedAt: touchpoint.occurredAt,
    }));
    const counters = [
      ...plan.counters,
      ...expectationCounters(kept.map((expectation) => ({ ...expectation, count: 'met' as const }))),
      ...counterUpdates(
        ANY_ICP,
        surveySequenceIncrements({
          prospectId,
          touchpoint,
          replaces,
          customer:
            context.profile.customerAt !== undefined && context.profile.customerAt <= touchpoint.occurredAt,
          expectations: context.expectations,
        }),
      ),
    ];
    const starts = await plannedStarts(context, plan, touchpoint, now, refused);
    if (clock().getTime() - now.getTime() > MAX_PLANNING_MS) return undefined;
    const outcome = await commitScores({
      // A changed answer is the same item, scored already: its count is guarded by the revision instead.
      ...(revision > 1 && survey ? {} : { touchpointKey }),
      prospectId,
      ...plan,
      counters,
      expectations,
      ...(survey ? { surveyScored: survey.scored } : {}),
      starts,
      now,
    });
    return applied(outcome, refused);
  }, RETRIES);
}

/** A commit's outcome as an attempt's answer: undefined to re-read and try again (refused starts left out). */
function applied(outcome: CommitOutcome, refused: Set<string>): ApplyOutcome | undefined {
  if (typeof outcome === 'object') {
    for (const sequenceId of outcome.refusedStarts) refused.add(sequenceId);
    return undefined;
  }
  if (outcome === 'conflict') return undefined;
  return outcome === 'committed' ? 'applied' : 'already-applied';
}

/** The sequences this change starts: what the touchpoint is, and what the served versions concluded from it. */
async function plannedStarts(
  context: ProspectScores & { profile: ProspectProfile },
  plan: PlannedScores,
  touchpoint: Touchpoint | undefined,
  now: Date,
  refused: ReadonlySet<string>,
): Promise<EnrollmentStart[]> {
  const responded = plan.served.find(
    ({ previous, record }) => record.milestones?.firstResponseAt && !previous?.milestones?.firstResponseAt,
  );
  const triggers = startTriggers({
    touchpoint,
    firstResponseTo: responded && { form: responded.record.milestones?.firstFormId },
    qualifiedOn: plan.announcements
      .filter((item) => item.type === 'qualified')
      .map((item) => item.name ?? ''),
  });
  if (!triggers.length) return [];
  const grades = Object.fromEntries(plan.served.map(({ record }) => [record.icpId, record.fit.grade]));
  const segments = [...new Set(plan.served.flatMap(({ record }) => record.segments))];
  return planStarts({
    profile: context.profile,
    lanes: context.lanes,
    triggers,
    customer: { grades, segments, plan: context.profile.plan },
    now,
    refused,
  });
}

/**
 * Re-evaluates a prospect's scores without a new touchpoint: decay may have taken a qualified prospect below
 * dropAt, or a qualification is still to be announced. Idempotent: a second run finds nothing to change.
 */
export async function recheckScores(prospectId: string, now: Date): Promise<'changed' | 'unchanged'> {
  const refused = new Set<string>();
  return withRetries(async () => {
    const context = await loadContext(prospectId);
    if (!context) return 'unchanged' as const;
    const plan = await planScores(
      context,
      now,
      `recheck|${now.toISOString()}`,
      (input, previous, serving) => {
        // A version being built re-checks once it is served: it may not announce before then.
        if (!previous || !serving) return undefined;
        const next = rescoreNow(input, previous);
        const changed =
          next.qualified !== previous.qualified ||
          next.qualified !== next.announced ||
          next.rank?.sortKey !== previous.rank?.sortKey ||
          next.recheckAt !== previous.recheckAt;
        return changed ? next : undefined;
      },
    );
    if (!plan.writes.length && !plan.removals.length) return 'unchanged' as const;
    const starts = await plannedStarts(context, plan, undefined, now, refused);
    const outcome = await commitScores({ prospectId, ...plan, expectations: [], starts, now });
    return applied(outcome, refused) === undefined ? undefined : ('changed' as const);
  }, RETRIES);
}

async function loadContext(prospectId: string) {
  const context = await readProspectScores(prospectId);
  const { profile } = context;
  // Merged away (its touchpoints are re-inserted under the winner, which scores them) or being erased.
  if (!profile || profile.mergedInto || profile.erasingAt) return undefined;
  return { ...context, profile };
}

type PlannedScores = {
  writes: ScoreWrite[];
  removals: StoredScore[];
  announcements: (Touchpoint & { expiresAt: number })[];
  counters: CounterUpdate[];
  /** The served versions' records, before and after: what onboarding starts from. */
  served: { previous: StoredScore | undefined; record: ScoreRecord }[];
};

async function planScores(
  context: { profile: ProspectProfile; scores: StoredScore[] },
  now: Date,
  cause: string,
  compute: (
    input: ScoringInput,
    previous: StoredScore | undefined,
    serving: boolean,
  ) => ScoreRecord | undefined,
  applying: { touchpoint?: Touchpoint; replaces?: Touchpoint | undefined } = {},
): Promise<PlannedScores> {
  const { touchpoint, replaces } = applying;
  const { profile, scores } = context;
  const [state, segmentDefinitions] = await Promise.all([getScoringState(), loadSegments()]);
  const active = activeVersions(state);
  const writes: ScoreWrite[] = [];
  const announcements: (Touchpoint & { expiresAt: number })[] = [];
  const counters: CounterUpdate[] = [];
  const served: PlannedScores['served'] = [];
  for (const { icpId, version, serving } of active) {
    const icp = await loadIcpVersion(icpId, version);
    const previous = scores.find((score) => score.icpId === icpId && score.version === version);
    const record = compute(
      {
        icp,
        version,
        prospectId: profile.prospectId,
        known: Boolean(profile.known),
        traits: profile,
        segmentDefinitions,
        now,
      },
      previous,
      serving,
    );
    if (!record) continue;
    // Only the served version speaks: a version being built announces what changed once it is served.
    const transition = serving ? pendingTransition(record) : undefined;
    if (transition) {
      const told = announcement(profile.prospectId, icpId, version, transition, cause, now);
      announcements.push({ ...told, expiresAt: touchpointExpiry(told) });
      record.announced = record.qualified;
    }
    // Only the served version counts, so a report never adds a prospect twice while a new version is built.
    if (serving) {
      served.push({ previous, record });
      counters.push(
        ...counterUpdates(
          icpId,
          scoreIncrements({
            previous,
            record,
            ...(touchpoint ? { touchpoint } : {}),
            ...(replaces ? { replaces } : {}),
            ...(profile.customerAt ? { customerSince: profile.customerAt } : {}),
            now,
          }),
        ),
      );
    }
    writes.push(scoreWrite(previous, record, profile, now));
  }
  const removals = scores.filter(
    (score) => !active.some((item) => item.icpId === score.icpId && item.version === score.version),
  );
  return { writes, removals, announcements, counters, served };
}

function announcement(
  prospectId: string,
  icpId: string,
  version: number,
  transition: 'qualified' | 'unqualified',
  cause: string,
  now: Date,
): Touchpoint {
  const at = now.toISOString();
  return {
    // Deterministic in its cause, so a retried computation writes the same touchpoint, once.
    eventId: sha256Hex(`${prospectId}|${icpId}|${version}|${transition}|${cause}`).slice(0, 24),
    type: transition,
    source: `icp:${icpId}`,
    name: icpId,
    occurredAt: at,
    receivedAt: at,
    properties: { icpId, version },
  };
}
