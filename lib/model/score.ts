import type { Grade } from './icp.js';

/**
 * A prospect's score for one ICP version and the parts it is made of: what scoring computes, the store keeps and
 * ranking and the experience report read. Pure data; the decisions that produce it live in lib/scoring.
 */

/** log2 of a sum of positive weights; -Infinity is the empty sum. */
export type LogSum = number;
export type DecayedSum = { pos: LogSum; neg: LogSum };

/** What a decayed sum looks like stored: DynamoDB cannot store -Infinity, so an empty side is null. */
export type StoredSum = { pos: number | null; neg: number | null };

export function serialiseSum(sum: DecayedSum): StoredSum {
  return {
    pos: sum.pos === Number.NEGATIVE_INFINITY ? null : sum.pos,
    neg: sum.neg === Number.NEGATIVE_INFINITY ? null : sum.neg,
  };
}

export function deserialiseSum(stored: { pos?: number | null; neg?: number | null } | undefined): DecayedSum {
  return { pos: stored?.pos ?? Number.NEGATIVE_INFINITY, neg: stored?.neg ?? Number.NEGATIVE_INFINITY };
}

export type Contribution = { ruleId: string; reason: string; points: number };

export type FitResult = {
  points: number;
  grade: Grade;
  /** The first disqualifier that holds: the prospect is graded D whatever its points. */
  disqualifiedBy: string | null;
  contributions: Contribution[];
};

export type LedgerEntry = {
  reason: string;
  sum: DecayedSum;
  /** Touchpoints that matched, capped or not. */
  count: number;
  capped: number;
  lastAt: string;
  /** yyyy-mm-dd -> touchpoints that matched that day (the last LEDGER_DAYS days seen). */
  days: Record<string, number>;
};

export type ExperienceSignals = {
  nps?: { score: number; at: string };
  csat?: { score: number; at: string };
  surveyAnswers?: number;
};

/** What the stream has folded into one prospect's score for one ICP: bounded whatever the history. */
export type EngagementState = {
  engagement: DecayedSum;
  /** One entry per engagement rule of the ICP (at most 50). */
  ledger: Record<string, LedgerEntry>;
  touchpointsApplied: number;
  lastTouchpointAt?: string;
  experience: ExperienceSignals;
};

export type RankPosition = { shard: number; sortKey: string; validFrom: string };

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
