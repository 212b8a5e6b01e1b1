/**
 * Every key of the single table is spelled here and nowhere else.
 *
 * PK                              SK                       entity
 * P#<prospectId>                  PROFILE                  prospect profile (traits, consent, lifecycle, identities)
 * P#<prospectId>                  T#<isoTime>#<eventId>    touchpoint (time-ordered inside the prospect's partition)
 * ID#<kind>#<value>               ID                       identity alias -> prospect id (email as keyed hash)
 * DEDUP#<scope>#<id>              DEDUP                    "seen once" marker, with TTL
 * CFG#<kind>#<id>                 V#<version> | CURRENT    versioned configuration
 * SRCKEY#<sha256(writeKey)>       SRCKEY                   write key -> source id
 * STAT#<name>#<scope>             D#<yyyy-mm-dd>           daily counters (bots dropped, ...)
 * CFGIDX#<kind>                   <id>                     index of config documents of a kind (for listing)
 * P#<prospectId>                  SCORE#<icpId>#<version>  score of one prospect for one ICP version
 * RANK#<icpId>#<version>#<shard>  <grade>#<engagement>#<id> ranking entry (immutable key, validFrom/validTo)
 * SCORING                         STATE                    which ICP versions are served and being built
 * RESCORE#<icpId>#<version>       SEG#<n>                  progress of one segment of a background rescore
 * P#<prospectId>                  ENR#<sequenceId>         onboarding enrollment (status, step, expectations given)
 * P#<prospectId>                  SEND#<sequenceId>#<step> send record of one step: claimed, sent, failed, abandoned
 * P#<prospectId>                  EXP#<sequenceId>#<expId> an expectation given by a sequence: open, met or broken
 * SUPP#<emailHash>                SUPP                     suppressed address (bounce, complaint, unsubscribe from all)
 * SUPP#<emailHash>                UNSUB#<category>         unsubscribed from one category (transactional, marketing)
 * P#<prospectId>                  LANE#<startKind>         the sequence a start kind last enrolled into (one at a time)
 * P#<prospectId>                  RESPONSE#<seq>#<step>    the answer to a survey sent: current, and as scored
 * TOMB#<prospectIdHash>           TOMB#<requestedAt>       erasure tombstone: keyed hash of the id, when, who asked, counts
 * AGG#<icpId>#<dimension>#<value> D#<yyyy-mm-dd>#<shard>   experience counters of one group for one day (one of 4 shards)
 *
 * Sparse index GSI1 (GSI1PK, GSI1SK) holds only items with something due:
 * DUE#requalify#<shard>           <isoTime>#<prospectId>#<icpId>   a qualified score to re-check as it decays
 * DUE#onboarding#<shard>          <isoTime>#<prospectId>#<sequenceId>   an active enrollment's next step
 * DUE#expectation#<shard>         <deadline>#<prospectId>#<sequenceId>#<expId>   an open expectation's deadline
 */

export type TableKey = { PK: string; SK: string };

import type { IdentityKind } from '../model/prospect.js';

const PROFILE_SK = 'PROFILE';
const TOUCHPOINT_PREFIX = 'T#';
const SCORE_PREFIX = 'SCORE#';
const ENROLLMENT_PREFIX = 'ENR#';
const SEND_PREFIX = 'SEND#';
const DEDUP_SK = 'DEDUP';
const TOMBSTONE_PREFIX = 'TOMB#';
const EXPECTATION_PREFIX = 'EXP#';
// Both sort inside the scorer's read range (EXP# .. SCORE#~): it reads them with the profile, in one Query.
const LANE_PREFIX = 'LANE#';
const RESPONSE_PREFIX = 'RESPONSE#';

/** Versions are zero-padded so a prospect's score items sort by ICP, then version. */
const version6 = (version: number) => String(version).padStart(6, '0');

export const keys = {
  prospectProfile: (prospectId: string): TableKey => ({ PK: `P#${prospectId}`, SK: PROFILE_SK }),
  touchpoint: (prospectId: string, occurredAt: string, eventId: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${TOUCHPOINT_PREFIX}${occurredAt}#${eventId}`,
  }),
  prospectPartition: (prospectId: string): string => `P#${prospectId}`,
  touchpointPrefix: TOUCHPOINT_PREFIX,
  identity: (kind: IdentityKind, value: string): TableKey => ({ PK: `ID#${kind}#${value}`, SK: 'ID' }),
  dedup: (scope: string, id: string): TableKey => ({ PK: `DEDUP#${scope}#${id}`, SK: DEDUP_SK }),
  /** A marker's key from its partition, as a touchpoint records it (`dedupKey`) so that erasure can find it. */
  dedupByPartition: (pk: string): TableKey => ({ PK: pk, SK: DEDUP_SK }),
  configVersion: (kind: string, id: string, version: number): TableKey => ({
    PK: `CFG#${kind}#${id}`,
    SK: `V#${String(version).padStart(8, '0')}`,
  }),
  configCurrent: (kind: string, id: string): TableKey => ({ PK: `CFG#${kind}#${id}`, SK: 'CURRENT' }),
  sourceWriteKey: (writeKeyHash: string): TableKey => ({ PK: `SRCKEY#${writeKeyHash}`, SK: 'SRCKEY' }),
  dailyCounter: (name: string, scope: string, day: string): TableKey => ({
    PK: `STAT#${name}#${scope}`,
    SK: `D#${day}`,
  }),
  configIndex: (kind: string, id: string): TableKey => ({ PK: `CFGIDX#${kind}`, SK: id }),
  configIndexPartition: (kind: string): string => `CFGIDX#${kind}`,
  score: (prospectId: string, icpId: string, version: number): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${SCORE_PREFIX}${icpId}#${version6(version)}`,
  }),
  scorePrefix: SCORE_PREFIX,
  /**
   * What the scorer reads of a prospect in one Query: its expectations (EXP#), sequence lanes (LANE#), profile,
   * survey responses (RESPONSE#) and score items sort between these two keys, and nothing else does (ENR# sorts
   * before, SEND# and T# after).
   */
  scoringReadRange: { from: EXPECTATION_PREFIX, to: `${SCORE_PREFIX}~` },
  rankPartition: (icpId: string, version: number, shard: number): string =>
    `RANK#${icpId}#${version6(version)}#${shard}`,
  rankEntry: (icpId: string, version: number, shard: number, sortKey: string): TableKey => ({
    PK: keys.rankPartition(icpId, version, shard),
    SK: sortKey,
  }),
  scoringState: (): TableKey => ({ PK: 'SCORING', SK: 'STATE' }),
  rescoreSegment: (icpId: string, version: number, segment: number): TableKey => ({
    PK: `RESCORE#${icpId}#${version6(version)}`,
    SK: `SEG#${String(segment).padStart(3, '0')}`,
  }),
  rescorePartition: (icpId: string, version: number): string => `RESCORE#${icpId}#${version6(version)}`,
  requalifyDue: (shard: number, dueAt: string, prospectId: string, icpId: string) => ({
    GSI1PK: `DUE#requalify#${shard}`,
    GSI1SK: `${dueAt}#${prospectId}#${icpId}`,
  }),
  requalifyDuePartition: (shard: number): string => `DUE#requalify#${shard}`,
  enrollment: (prospectId: string, sequenceId: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${ENROLLMENT_PREFIX}${sequenceId}`,
  }),
  enrollmentPrefix: ENROLLMENT_PREFIX,
  sendRecord: (prospectId: string, sequenceId: string, stepId: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${SEND_PREFIX}${sequenceId}#${stepId}`,
  }),
  sendPrefix: SEND_PREFIX,
  onboardingDue: (shard: number, dueAt: string, prospectId: string, sequenceId: string) => ({
    GSI1PK: `DUE#onboarding#${shard}`,
    GSI1SK: `${dueAt}#${prospectId}#${sequenceId}`,
  }),
  onboardingDuePartition: (shard: number): string => `DUE#onboarding#${shard}`,
  expectation: (prospectId: string, sequenceId: string, expectationId: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${EXPECTATION_PREFIX}${sequenceId}#${expectationId}`,
  }),
  expectationPrefix: EXPECTATION_PREFIX,
  expectationDue: (
    shard: number,
    deadline: string,
    prospectId: string,
    sequenceId: string,
    expectationId: string,
  ) => ({
    GSI1PK: `DUE#expectation#${shard}`,
    GSI1SK: `${deadline}#${prospectId}#${sequenceId}#${expectationId}`,
  }),
  expectationDuePartition: (shard: number): string => `DUE#expectation#${shard}`,
  suppression: (emailHash: string): TableKey => ({ PK: `SUPP#${emailHash}`, SK: 'SUPP' }),
  categorySuppression: (emailHash: string, category: string): TableKey => ({
    PK: `SUPP#${emailHash}`,
    SK: `UNSUB#${category}`,
  }),
  lane: (prospectId: string, startKind: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${LANE_PREFIX}${startKind}`,
  }),
  surveyResponse: (prospectId: string, sequenceId: string, stepId: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${RESPONSE_PREFIX}${sequenceId}#${stepId}`,
  }),
  tombstone: (prospectIdHash: string, requestedAt: string): TableKey => ({
    PK: keys.tombstonePartition(prospectIdHash),
    SK: `${TOMBSTONE_PREFIX}${requestedAt}`,
  }),
  tombstonePartition: (prospectIdHash: string): string => `TOMB#${prospectIdHash}`,
  dailyCounterPartition: (name: string, scope: string): string => `STAT#${name}#${scope}`,
  /** A day's counters for one report group; the shard spreads a hot day over several items. */
  aggregateDay: (icpId: string, dimension: string, value: string, day: string, shard: number): TableKey => ({
    PK: keys.aggregatePartition(icpId, dimension, value),
    SK: `D#${day}#${shard}`,
  }),
  aggregatePartition: (icpId: string, dimension: string, value: string): string =>
    `AGG#${icpId}#${dimension}#${value}`,
  /** Every day item from `from` to `to` (yyyy-mm-dd, inclusive), whatever its suffix: `#` and `~` bound them. */
  dayRange: (from: string, to: string) => ({ from: `D#${from}`, to: `D#${to}#~` }),
};

export function sequenceIdFromEnrollmentKey(sk: string): string | undefined {
  return sk.startsWith(ENROLLMENT_PREFIX) ? sk.slice(ENROLLMENT_PREFIX.length) : undefined;
}

export function prospectIdFromPartition(pk: string): string {
  return pk.startsWith('P#') ? pk.slice(2) : pk;
}

export function isExpectationKey(sk: string): boolean {
  return sk.startsWith(EXPECTATION_PREFIX);
}

export function isLaneKey(sk: string): boolean {
  return sk.startsWith(LANE_PREFIX);
}

export function isSurveyResponseKey(sk: string): boolean {
  return sk.startsWith(RESPONSE_PREFIX);
}

export function isScoreKey(sk: string): boolean {
  return sk.startsWith(SCORE_PREFIX);
}

/** An item's own attributes: without the table and index keys and the entity tag, which only place it. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { PK: _pk, SK: _sk, entity: _entity, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest;
}
