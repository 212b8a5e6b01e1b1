import type { Icp, SegmentDefinition } from '../model/icp.js';
import type { EngagementState, FitResult, Milestones, ScoreRecord } from '../model/score.js';
import { shardOf } from '../model/shard.js';
import { isSalesResponse, type Touchpoint } from '../model/touchpoint.js';
import type { Traits } from '../model/traits.js';
import { timeWhenValueFallsTo } from './decay.js';
import { evaluateFit, segmentsOf } from './fit.js';
import { rankSortKey } from './rank-key.js';
import { applyTouchpoint, EMPTY_STATE, engagementAt, explain, nextQualification } from './score.js';

/** Milestones after one touchpoint (before qualification, which settle adds): pure, O(1). */
export function nextMilestones(previous: Milestones | undefined, touchpoint: Touchpoint): Milestones {
  const next: Milestones = { ...previous };
  const at = touchpoint.occurredAt;
  if (touchpoint.type === 'form' && !next.firstFormAt) {
    next.firstFormAt = at;
    if (touchpoint.name) next.firstFormId = touchpoint.name;
  }
  if (isSalesResponse(touchpoint) && next.firstFormAt && at >= next.firstFormAt && !next.firstResponseAt)
    next.firstResponseAt = at;
  if (touchpoint.type === 'conversion' && !next.customerAt) next.customerAt = at;
  return next;
}

export type ScoringInput = {
  icp: Icp;
  version: number;
  prospectId: string;
  /** An email or userId is known: only then is the prospect ranked. */
  known: boolean;
  traits: Traits;
  segmentDefinitions: readonly SegmentDefinition[];
  now: Date;
};

export type Transition = 'qualified' | 'unqualified';

/** Folds one touchpoint into a score (or starts one): pure, O(rules), independent of history length. */
export function scoreTouchpoint(
  input: ScoringInput,
  previous: ScoreRecord | undefined,
  touchpoint: Touchpoint,
  /** The earlier version of this touchpoint, already counted (a changed survey answer). */
  replaces?: Touchpoint,
): ScoreRecord {
  const state = applyTouchpoint(previous?.state ?? EMPTY_STATE, input.icp, touchpoint, replaces);
  return settle(
    input,
    previous,
    state,
    nextMilestones(previous?.milestones, touchpoint),
    touchpoint.occurredAt,
  );
}

/**
 * Recomputes a score from a prospect's whole history: what a rescore under a new ICP version does. `previous`
 * carries what must survive the recomputation: the revision of the item being replaced, and the qualification
 * already announced under the version being replaced, so a rescore announces only real changes.
 */
export function scoreHistory(
  input: ScoringInput,
  touchpoints: readonly Touchpoint[],
  previous: Partial<Pick<ScoreRecord, 'rev' | 'rank' | 'qualified' | 'announced' | 'qualifiedAt'>>,
): ScoreRecord {
  let state = EMPTY_STATE;
  let milestones: Milestones = {};
  for (const touchpoint of touchpoints) {
    state = applyTouchpoint(state, input.icp, touchpoint);
    milestones = nextMilestones(milestones, touchpoint);
  }
  return settle(input, previous, state, milestones);
}

/** Re-evaluates fit, qualification and rank at `now` without a new touchpoint (traits changed, or decay). */
export function rescoreNow(input: ScoringInput, previous: ScoreRecord): ScoreRecord {
  return settle(input, previous, previous.state, previous.milestones);
}

function settle(
  input: ScoringInput,
  previous: Partial<ScoreRecord> | undefined,
  state: EngagementState,
  reached: Milestones | undefined,
  /** When what is being settled happened: a touchpoint's time, else now. */
  eventAt?: string,
): ScoreRecord {
  const { icp, now } = input;
  const fit = evaluateFit(icp, input.traits);
  const nowMs = now.getTime();
  const engagement = engagementAt(state, icp, nowMs);
  const qualified = nextQualification(previous?.qualified ?? false, fit, engagement, icp);
  const shard = shardOf(input.prospectId, icp.rankShards);
  const sortKey = rankSortKey(fit.grade, state.engagement, input.prospectId);
  const nowIso = now.toISOString();
  const unchangedRank = previous?.rank?.sortKey === sortKey && previous.rank.shard === shard;
  const recheckMs = qualified
    ? timeWhenValueFallsTo(state.engagement, icp.qualification.dropAt, icp.halfLifeDays)
    : undefined;
  const qualifiedAt = qualified ? (previous?.qualified ? previous.qualifiedAt : nowIso) : undefined;
  const segments = segmentsOf(input.segmentDefinitions, input.traits, icp.fit.competitorDomains);
  const milestones: Milestones = { ...reached };
  if (qualified && !milestones.firstQualifiedAt) {
    const at = eventAt ?? nowIso;
    milestones.firstQualifiedAt = at;
    milestones.qualifiedCohort = {
      day: at.slice(0, 10),
      grade: fit.grade,
      segments,
      ...(milestones.firstFormId ? { form: milestones.firstFormId } : {}),
    };
  }
  return {
    prospectId: input.prospectId,
    icpId: icp.id,
    version: input.version,
    rev: (previous?.rev ?? 0) + 1,
    fit,
    segments,
    state,
    qualified,
    announced: previous?.announced ?? false,
    ...(qualifiedAt ? { qualifiedAt } : {}),
    ...(input.known ? { rank: unchangedRank ? previous!.rank! : { shard, sortKey, validFrom: nowIso } } : {}),
    ...(recheckMs !== undefined ? { recheckAt: new Date(Math.max(recheckMs, nowMs)).toISOString() } : {}),
    ...(Object.keys(milestones).length ? { milestones } : {}),
    updatedAt: nowIso,
  };
}

/**
 * When the re-check sweep must look at a score again: at once while a change of qualification is still to be
 * announced, else when its decaying engagement reaches dropAt; never for a score with nothing to re-check.
 */
export function recheckDueAt(record: ScoreRecord): string | undefined {
  return record.qualified !== record.announced ? record.updatedAt : record.recheckAt;
}

/** The announcement a record still owes, if any; the caller writes the touchpoint and marks it announced. */
export function pendingTransition(record: ScoreRecord): Transition | undefined {
  if (record.qualified === record.announced) return undefined;
  return record.qualified ? 'qualified' : 'unqualified';
}

export type ScoreView = {
  icpId: string;
  version: number;
  grade: FitResult['grade'];
  fit: number;
  engagement: number;
  qualified: boolean;
  qualifiedAt: string | null;
  segments: string[];
  lastTouchpointAt: string | null;
  explanation: ReturnType<typeof explain>;
};

/** What a reader sees: engagement decayed to the time of the request, and the reasons in plain words. */
export function presentScore(record: ScoreRecord, icp: Icp, now: Date): ScoreView {
  const nowMs = now.getTime();
  return {
    icpId: record.icpId,
    version: record.version,
    grade: record.fit.grade,
    fit: record.fit.points,
    engagement: round(engagementAt(record.state, icp, nowMs)),
    qualified: record.qualified,
    qualifiedAt: record.qualifiedAt ?? null,
    segments: record.segments,
    lastTouchpointAt: record.state.lastTouchpointAt ?? null,
    explanation: explain(record.state, record.fit, icp, nowMs, { milestones: record.milestones }),
  };
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
