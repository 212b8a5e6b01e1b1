import type { Grade, Icp, SegmentDefinition } from '../model/icp.js';
import { shardOf } from '../model/shard.js';
import { isSalesResponse, type Touchpoint } from '../model/touchpoint.js';
import type { Traits } from '../model/traits.js';
import { deserialiseSum, serialiseSum, timeWhenValueFallsTo } from './decay.js';
import { evaluateFit, type FitResult, segmentsOf } from './fit.js';
import { rankSortKey } from './rank-key.js';
import {
  applyTouchpoint,
  EMPTY_STATE,
  type EngagementState,
  engagementAt,
  explain,
  type LedgerEntry,
  nextQualification,
} from './score.js';

/**
 * One prospect's score for one ICP version, as the stream keeps it. Everything here is bounded: the ledger has
 * one entry per engagement rule of the ICP, whatever the prospect's history.
 */
export type ScoreRecord = {
  prospectId: string;
  icpId: string;
  version: number;
  /** Optimistic-concurrency counter: every write is conditional on the revision it read. */
  rev: number;
  fit: FitResult;
  segments: string[];
  state: EngagementState;
  /** Whether the prospect qualifies now (hysteresis applied)... */
  qualified: boolean;
  /** ...and whether a `qualified` touchpoint announced it; they differ only until the announcement is written. */
  announced: boolean;
  qualifiedAt?: string;
  /** Where the prospect sits in the ranking: its entry's key, and since when that key holds. Sales rank known
   * people only, so an anonymous visitor has none until it is identified. */
  rank?: RankPosition;
  /** When a qualified prospect's decaying engagement falls to dropAt: the re-check is due then. */
  recheckAt?: string;
  /** First occurrences the experience report measures from; absent on records written before it existed. */
  milestones?: Milestones;
  updatedAt: string;
};

/**
 * Each set once, by the first touchpoint (in stream order) that reaches it, so the counters derived from them
 * count each prospect once. Bounded: a few timestamps and the segment ids of one cohort.
 */
export type Milestones = {
  firstFormAt?: string;
  /** The form a prospect first came through: the `form` group of its prospect-level figures. */
  firstFormId?: string;
  /** The first sales activity at or after the first form submission. */
  firstResponseAt?: string;
  customerAt?: string;
  firstQualifiedAt?: string;
  /** Where the first qualification was counted, so a later conversion is counted in the same cohort. */
  qualifiedCohort?: { day: string; grade: Grade; segments: string[]; form?: string };
};

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

export type RankPosition = { shard: number; sortKey: string; validFrom: string };

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
): ScoreRecord {
  const state = applyTouchpoint(previous?.state ?? EMPTY_STATE, input.icp, touchpoint);
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

// ---- storage form: DynamoDB has no -Infinity, so empty log-sums are stored as null ----

type StoredSum = ReturnType<typeof serialiseSum>;
type StoredLedgerEntry = Omit<LedgerEntry, 'sum'> & { sum: StoredSum };

export function serialiseRecord(record: ScoreRecord) {
  return {
    ...record,
    state: {
      ...record.state,
      engagement: serialiseSum(record.state.engagement),
      ledger: Object.fromEntries(
        Object.entries(record.state.ledger).map(([ruleId, entry]) => [
          ruleId,
          { ...entry, sum: serialiseSum(entry.sum) },
        ]),
      ),
    },
  };
}

export function deserialiseRecord(item: Record<string, unknown>): ScoreRecord {
  const stored = item as unknown as ScoreRecord & {
    state: Omit<EngagementState, 'engagement' | 'ledger'> & {
      engagement: StoredSum;
      ledger: Record<string, StoredLedgerEntry>;
    };
  };
  const ledger: Record<string, LedgerEntry> = {};
  for (const [ruleId, entry] of Object.entries(stored.state.ledger ?? {}))
    ledger[ruleId] = { ...entry, sum: deserialiseSum(entry.sum) };
  return {
    prospectId: stored.prospectId,
    icpId: stored.icpId,
    version: stored.version,
    rev: stored.rev,
    fit: stored.fit,
    segments: stored.segments ?? [],
    state: {
      engagement: deserialiseSum(stored.state.engagement),
      ledger,
      touchpointsApplied: stored.state.touchpointsApplied ?? 0,
      ...(stored.state.lastTouchpointAt ? { lastTouchpointAt: stored.state.lastTouchpointAt } : {}),
      experience: stored.state.experience ?? {},
    },
    qualified: stored.qualified,
    announced: stored.announced,
    ...(stored.qualifiedAt ? { qualifiedAt: stored.qualifiedAt } : {}),
    ...(stored.rank ? { rank: stored.rank } : {}),
    ...(stored.recheckAt ? { recheckAt: stored.recheckAt } : {}),
    ...(stored.milestones ? { milestones: stored.milestones } : {}),
    updatedAt: stored.updatedAt,
  };
}
