import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ProspectProfile } from '../model/prospect.js';
import type { RankEntry } from '../model/ranking.js';
import {
  deserialiseSum,
  type EngagementState,
  type LedgerEntry,
  type ScoreRecord,
  type StoredSum,
  serialiseSum,
} from '../model/score.js';
import { shardOf } from '../model/shard.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { type CounterUpdate, counterUpdateItems } from './aggregates.js';
import { documents, queryPages, tableName } from './client.js';
import {
  type EnrollmentStart,
  enrollmentStartItems,
  laneFromItem,
  type SequenceLane,
} from './enrollments.js';
import {
  type ExpectationDecision,
  type ExpectationRecord,
  expectationFromItem,
  expectationsDecidedItems,
} from './expectations.js';
import {
  isExpectationKey,
  isLaneKey,
  isScoreKey,
  isSurveyResponseKey,
  keys,
  prospectIdFromPartition,
  type TableKey,
} from './keys.js';
import { profileFromItem } from './profiles.js';
import {
  type SurveyResponse,
  type SurveyScored,
  surveyResponseFromItem,
  surveyScoredItem,
} from './survey-responses.js';
import { touchpointItem } from './touchpoints.js';
import { type NamedItem, transactWrite } from './transaction.js';

/** A ranking entry a score moved away from, kept while a walk may still read it. */
export type StaleRank = { shard: number; sortKey: string; validTo: string };

export type StoredScore = ScoreRecord & {
  /** Rank entries this score left behind, kept for walks in progress, deleted once they are old enough. */
  staleRanks: StaleRank[];
};

export type ProspectScores = {
  profile: ProspectProfile | undefined;
  scores: StoredScore[];
  expectations: ExpectationRecord[];
  /** Per start kind, the sequence it last enrolled into. */
  lanes: SequenceLane[];
  /** Answers to the surveys sent, as given and as counted. */
  responses: SurveyResponse[];
};

/**
 * A prospect's profile, all its score items, the expectations onboarding gave it (a sales response may keep one),
 * its sequence lanes and its survey answers: one consistent Query, whatever the length of its history.
 */
export async function readProspectScores(prospectId: string): Promise<ProspectScores> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.prospectPartition(prospectId),
        ':from': keys.scoringReadRange.from,
        ':to': keys.scoringReadRange.to,
      },
      ConsistentRead: true,
    }),
  );
  let profile: ProspectProfile | undefined;
  const scores: StoredScore[] = [];
  const expectations: ExpectationRecord[] = [];
  const lanes: SequenceLane[] = [];
  const responses: SurveyResponse[] = [];
  for (const item of result.Items ?? []) {
    const sk = item.SK as string;
    if (isExpectationKey(sk)) expectations.push(expectationFromItem(item));
    else if (isScoreKey(sk)) scores.push(storedScoreFromItem(item));
    else if (isLaneKey(sk)) lanes.push(laneFromItem(item));
    else if (isSurveyResponseKey(sk)) responses.push(surveyResponseFromItem(item));
    else if (sk === keys.prospectProfile(prospectId).SK) profile = profileFromItem(item);
  }
  return { profile, scores, expectations, lanes, responses };
}

/** What a new score does to its ranking, as the ranking decided it: the store writes exactly this. */
export type RankChanges = {
  /** The entry for the score's current position (new, or rewritten because what it shows changed). */
  put?: RankEntry;
  /** The entry the score moved away from: closed at `validTo`, left to TTL at `expiresAt` if nothing deletes it. */
  close?: { shard: number; sortKey: string; validTo: string; expiresAt: number };
  /** Entries no walk can need any more. */
  remove: { shard: number; sortKey: string }[];
};

export type ScoreWrite = {
  record: ScoreRecord;
  /** The revision of the item this replaces (the write's condition), or undefined for a new item. */
  expectedRev: number | undefined;
  /** The stale ranking keys the item keeps. */
  staleRanks: StaleRank[];
  /** When the re-check sweep must look at this score again; undefined keeps it out of the due index. */
  recheckDueAt: string | undefined;
  rank: RankChanges;
};

export type ScoreCommit = {
  /** The touchpoint whose effect this is: marked scored in the same transaction, so it counts once. */
  touchpointKey?: TableKey;
  prospectId: string;
  writes: ScoreWrite[];
  /** Score items of versions no longer served or built: removed with their rank entries. */
  removals: StoredScore[];
  /** `qualified` / `unqualified` touchpoints announcing a change, with their TTL (epoch seconds). */
  announcements: (Touchpoint & { expiresAt: number })[];
  /** Experience counters this change adds to: committed with it, so they count exactly once. */
  counters: CounterUpdate[];
  /** Expectations the touchpoint kept: each conditional on still being open. */
  expectations: ExpectationDecision[];
  /** A survey answer counted (in place of the one counted before, if any): exactly once, with the scores. */
  surveyScored?: SurveyScored;
  /** Sequences the touchpoint (or a qualification it caused) starts. */
  starts?: readonly EnrollmentStart[];
  now: Date;
};

/** `refusedStarts`: sequences whose start was refused (already gone through, or the lane was taken meanwhile). */
export type CommitOutcome = 'committed' | 'already-applied' | 'conflict' | { refusedStarts: string[] };

/**
 * One transaction: the touchpoint's scored mark, every score item, their ranking entries, announcements,
 * counters and expectations. A replayed record finds its mark and changes nothing; a concurrent writer makes the
 * revision check fail and the caller re-reads and retries.
 */
export async function commitScores(commit: ScoreCommit): Promise<CommitOutcome> {
  const nowIso = commit.now.toISOString();
  const parts: NamedItem[] = [];
  if (commit.touchpointKey) {
    parts.push({
      name: 'scored-mark',
      item: {
        Update: {
          TableName: tableName,
          Key: commit.touchpointKey,
          UpdateExpression: 'SET scoredAt = :now',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(scoredAt)',
          ExpressionAttributeValues: { ':now': nowIso },
        },
      },
    });
  }
  // A merge or an erasure that started after this prospect was read must win: the scores would outlive it.
  parts.push({
    name: 'profile',
    item: {
      ConditionCheck: {
        TableName: tableName,
        Key: keys.prospectProfile(commit.prospectId),
        ConditionExpression:
          'attribute_exists(PK) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasingAt)',
      },
    },
  });
  for (const write of commit.writes) parts.push(...scoreWriteItems(write));
  for (const removed of commit.removals) parts.push(...removalItems(removed));
  for (const { expiresAt, ...announcement } of commit.announcements) {
    parts.push({
      name: `announcement:${announcement.eventId}`,
      item: {
        Put: {
          TableName: tableName,
          Item: { ...touchpointItem(commit.prospectId, announcement, expiresAt), scoredAt: nowIso },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    });
  }
  parts.push(...counterUpdateItems(commit.counters), ...expectationsDecidedItems(commit.expectations));
  if (commit.surveyScored) parts.push(surveyScoredItem(commit.surveyScored));
  for (const start of commit.starts ?? []) parts.push(...enrollmentStartItems(start));
  // Nothing but the profile check: the touchpoint changes nothing, and has no mark to set.
  if (parts.length === 1) return 'committed';
  const outcome = await transactWrite(parts);
  if (outcome.committed) return 'committed';
  if (outcome.failed.includes('scored-mark')) return 'already-applied';
  const refused = outcome.failed.filter((name) => name.startsWith('start:'));
  if (refused.length) return { refusedStarts: [...new Set(refused.map((name) => name.split(':')[1]!))] };
  return 'conflict';
}

function scoreWriteItems({ record, expectedRev, staleRanks, recheckDueAt, rank }: ScoreWrite): NamedItem[] {
  const name = `${record.icpId}#${record.version}`;
  const parts: NamedItem[] = [
    {
      name: `score:${name}`,
      item: {
        Put: {
          TableName: tableName,
          Item: scoreItem(record, staleRanks, recheckDueAt),
          ConditionExpression: expectedRev !== undefined ? '#rev = :rev' : 'attribute_not_exists(PK)',
          ...(expectedRev !== undefined
            ? {
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':rev': expectedRev },
              }
            : {}),
        },
      },
    },
  ];
  if (rank.put)
    parts.push({ name: `rank:${name}`, item: { Put: { TableName: tableName, Item: rankItem(rank.put) } } });
  if (rank.close) {
    parts.push({
      name: `rank-closed:${name}`,
      item: {
        Update: {
          TableName: tableName,
          Key: keys.rankEntry(record.icpId, record.version, rank.close.shard, rank.close.sortKey),
          UpdateExpression: 'SET validTo = :validTo, expiresAt = :expires',
          ExpressionAttributeValues: { ':validTo': rank.close.validTo, ':expires': rank.close.expiresAt },
        },
      },
    });
  }
  for (const stale of rank.remove)
    parts.push({
      name: `rank-removed:${name}#${stale.shard}#${stale.sortKey}`,
      item: {
        Delete: {
          TableName: tableName,
          Key: keys.rankEntry(record.icpId, record.version, stale.shard, stale.sortKey),
        },
      },
    });
  return parts;
}

/** Prospects with a score due for a re-check at `now`, from the sparse due index, each once. */
export async function* dueForRecheck(now: Date): AsyncGenerator<string> {
  const seen = new Set<string>();
  for (let shard = 0; shard < REQUALIFY_SHARDS; shard++) {
    const pages = queryPages({
      TableName: tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK <= :upper',
      ExpressionAttributeValues: {
        ':pk': keys.requalifyDuePartition(shard),
        ':upper': `${now.toISOString()}#~`,
      },
    });
    for await (const page of pages) {
      for (const item of page) {
        const prospectId = prospectIdFromPartition(item.PK as string);
        if (seen.has(prospectId)) continue;
        seen.add(prospectId);
        yield prospectId;
      }
    }
  }
}

/** Removes every score of a prospect with its ranking entries: a merged-away visitor, an erased person. */
export async function removeAllScores(prospectId: string): Promise<number> {
  const { scores } = await readProspectScores(prospectId);
  // One transaction per score: at most 1 + 1 + 20 items, well inside the 100-item limit.
  for (const score of scores) await transactWrite(removalItems(score));
  return scores.length;
}

/** A prospect's score for a version, its current ranking entry and every stale one it left behind. */
function removalItems(score: StoredScore): NamedItem[] {
  const name = `${score.icpId}#${score.version}`;
  return [
    {
      name: `score-removed:${name}`,
      item: {
        Delete: { TableName: tableName, Key: keys.score(score.prospectId, score.icpId, score.version) },
      },
    },
    ...[...(score.rank ? [score.rank] : []), ...score.staleRanks].map((rank) => ({
      name: `rank-removed:${name}#${rank.shard}#${rank.sortKey}`,
      item: {
        Delete: {
          TableName: tableName,
          Key: keys.rankEntry(score.icpId, score.version, rank.shard, rank.sortKey),
        },
      },
    })),
  ];
}

const REQUALIFY_SHARDS = 4;

/**
 * Stale ranking keys are stored compactly, `<shard>|<sort key without the prospect id>|<validTo, epoch seconds>`:
 * a busy prospect keeps up to 20 of them, and every byte of the score item is paid on every write.
 */
function encodeStaleRank(stale: StaleRank, prospectId: string): string {
  const suffix = `#${prospectId}`;
  const sortKey = stale.sortKey.endsWith(suffix) ? stale.sortKey.slice(0, -suffix.length) : stale.sortKey;
  return `${stale.shard}|${sortKey}|${Math.floor(Date.parse(stale.validTo) / 1000)}`;
}

/** The stale ranking keys of a stored score item. */
export function decodeStaleRanks(item: Record<string, unknown>): StaleRank[] {
  const prospectId = item.prospectId as string;
  return ((item.staleRanks as string[] | undefined) ?? []).map((encoded) => {
    const [shard, sortKey, validTo] = encoded.split('|') as [string, string, string];
    return {
      shard: Number(shard),
      sortKey: `${sortKey}#${prospectId}`,
      validTo: new Date(Number(validTo) * 1000).toISOString(),
    };
  });
}

function scoreItem(record: ScoreRecord, staleRanks: StaleRank[], recheckDueAt: string | undefined) {
  return {
    ...keys.score(record.prospectId, record.icpId, record.version),
    entity: 'score',
    ...serialiseRecord(record),
    staleRanks: staleRanks.map((stale) => encodeStaleRank(stale, record.prospectId)),
    // Only scores with something to re-check are in the sparse due index.
    ...(recheckDueAt
      ? keys.requalifyDue(
          shardOf(record.prospectId, REQUALIFY_SHARDS),
          recheckDueAt,
          record.prospectId,
          record.icpId,
        )
      : {}),
  };
}

export function rankItem(entry: RankEntry) {
  return {
    ...keys.rankEntry(entry.icpId, entry.version, entry.shard, entry.sortKey),
    entity: 'rank',
    ...entry,
  };
}

// ---- storage form: DynamoDB has no -Infinity, so empty log-sums are stored as null ----

type StoredLedgerEntry = Omit<LedgerEntry, 'sum'> & { sum: StoredSum };

function serialiseRecord(record: ScoreRecord) {
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

function storedScoreFromItem(item: Record<string, unknown>): StoredScore {
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
    staleRanks: decodeStaleRanks(item),
  };
}
