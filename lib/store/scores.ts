import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ProspectProfile } from '../model/prospect.js';
import { shardOf } from '../model/shard.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { type RankEntry, rankEntryFor, STALE_RANK_SECONDS } from '../ranking/rank-entry.js';
import { deserialiseRecord, type ScoreRecord, serialiseRecord } from '../scoring/score-record.js';
import { type CounterUpdate, counterUpdateItem } from './aggregates.js';
import { documents, queryPages, tableName } from './client.js';
import {
  type ExpectationDecision,
  type ExpectationRecord,
  expectationFromItem,
  expectationsDecidedItems,
} from './expectations.js';
import { isExpectationKey, isScoreKey, keys, prospectIdFromPartition, type TableKey } from './keys.js';
import { touchpointItem } from './prospects.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export type StoredScore = ScoreRecord & {
  /** Rank entries this score left behind, kept for walks in progress, deleted once they are old enough. */
  staleRanks: { shard: number; sortKey: string; validTo: string }[];
};

/**
 * A prospect's profile, all its score items and the expectations onboarding gave it (a sales response may keep
 * one): one consistent Query, whatever the length of its history.
 */
export async function readProspectScores(prospectId: string): Promise<{
  profile: ProspectProfile | undefined;
  scores: StoredScore[];
  expectations: ExpectationRecord[];
}> {
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
  for (const item of result.Items ?? []) {
    if (isExpectationKey(item.SK as string)) expectations.push(expectationFromItem(item));
    else if (isScoreKey(item.SK as string))
      scores.push({
        ...deserialiseRecord(item),
        staleRanks: decodeStaleRanks(item),
      });
    else if (item.SK === keys.prospectProfile(prospectId).SK) {
      const { PK: _pk, SK: _sk, entity: _entity, ...rest } = item;
      profile = rest as ProspectProfile;
    }
  }
  return { profile, scores, expectations };
}

export type ScoreWrite = {
  record: ScoreRecord;
  /** The stored item this replaces (its revision is the write's condition), or undefined for a new one. */
  previous: StoredScore | undefined;
};

export type ScoreCommit = {
  /** The touchpoint whose effect this is: marked scored in the same transaction, so it counts once. */
  touchpointKey?: TableKey;
  profile: ProspectProfile;
  writes: ScoreWrite[];
  /** Score items of versions no longer served or built: removed with their rank entries. */
  removals: StoredScore[];
  /** `qualified` / `unqualified` touchpoints announcing a change. */
  announcements: Touchpoint[];
  /** Experience counters this change adds to: committed with it, so they count exactly once. */
  counters?: CounterUpdate[];
  /** Expectations the touchpoint kept: each conditional on still being open, and counted, with the scores. */
  expectations?: ExpectationDecision[];
  now: Date;
};

export type CommitOutcome = 'committed' | 'already-applied' | 'conflict';

/**
 * One transaction: the touchpoint's scored mark, every score item, their ranking entries, announcements. A
 * replayed record finds its mark and changes nothing; a concurrent writer makes the revision check fail and the
 * caller re-reads and retries.
 */
export async function commitScores(commit: ScoreCommit): Promise<CommitOutcome> {
  const { now } = commit;
  const nowIso = now.toISOString();
  const items: TransactItem[] = [];
  if (commit.touchpointKey) {
    items.push({
      Update: {
        TableName: tableName,
        Key: commit.touchpointKey,
        UpdateExpression: 'SET scoredAt = :now',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(scoredAt)',
        ExpressionAttributeValues: { ':now': nowIso },
      },
    });
  }
  // A merge or an erasure that started after this prospect was read must win: the scores would outlive it.
  items.push({
    ConditionCheck: {
      TableName: tableName,
      Key: keys.prospectProfile(commit.profile.prospectId),
      ConditionExpression:
        'attribute_exists(PK) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasingAt)',
    },
  });
  for (const { record, previous } of commit.writes) {
    const previousRank = previous?.rank;
    const rankMoved = previousRank !== undefined && !sameRank(previousRank, record.rank);
    // A key that becomes current again is rewritten whole (validTo removed), so it is no longer stale.
    const staleRanks = (previous?.staleRanks ?? []).filter((stale) => !sameRank(stale, record.rank));
    if (previousRank && rankMoved) staleRanks.push({ ...previousRank, validTo: nowIso });
    // Entries old enough that no walk can still need them go now; the rest wait for a later change or TTL.
    const expired = staleRanks.filter(
      (stale) => now.getTime() - Date.parse(stale.validTo) > STALE_RANK_SECONDS * 1000,
    );
    // At most a few deletions per write keep the transaction small; the rest go at later writes (or by TTL).
    const dropped = [
      ...expired,
      ...staleRanks.filter((stale) => !expired.includes(stale)).slice(0, -MAX_STALE_RANKS),
    ].slice(0, MAX_STALE_DELETES_PER_WRITE);
    const kept = staleRanks.filter((stale) => !dropped.includes(stale));
    items.push({
      Put: {
        TableName: tableName,
        Item: scoreItem(record, kept),
        ConditionExpression: previous ? '#rev = :rev' : 'attribute_not_exists(PK)',
        ...(previous
          ? {
              ExpressionAttributeNames: { '#rev': 'rev' },
              ExpressionAttributeValues: { ':rev': previous.rev },
            }
          : {}),
      },
    });
    if (record.rank)
      items.push({
        Put: { TableName: tableName, Item: rankItem(rankEntryFor(record, record.rank, commit.profile)) },
      });
    if (previousRank && rankMoved) {
      items.push({
        Update: {
          TableName: tableName,
          Key: keys.rankEntry(record.icpId, record.version, previousRank.shard, previousRank.sortKey),
          UpdateExpression: 'SET validTo = :now, expiresAt = :expires',
          ExpressionAttributeValues: {
            ':now': nowIso,
            ':expires': Math.floor(now.getTime() / 1000) + STALE_RANK_SECONDS,
          },
        },
      });
    }
    for (const stale of dropped)
      items.push({
        Delete: {
          TableName: tableName,
          Key: keys.rankEntry(record.icpId, record.version, stale.shard, stale.sortKey),
        },
      });
  }
  for (const removed of commit.removals) items.push(...removalItems(removed));
  for (const announcement of commit.announcements) {
    items.push({
      Put: {
        TableName: tableName,
        Item: { ...touchpointItem(commit.profile.prospectId, announcement), scoredAt: nowIso },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    });
  }
  for (const update of commit.counters ?? []) items.push(counterUpdateItem(update));
  items.push(...expectationsDecidedItems(commit.expectations ?? []));
  if (items.length === 1) return 'committed';
  // Config limits (MAX_ICPS, MAX_SEGMENTS in lib/admin/config-kinds.ts) keep this from happening; say so if it does.
  if (items.length > MAX_TRANSACTION_ITEMS)
    throw new Error(`A score commit needs ${items.length} items, over DynamoDB's ${MAX_TRANSACTION_ITEMS}`);
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
    return 'committed';
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
    if (commit.touchpointKey && reasons[0] === 'ConditionalCheckFailed') return 'already-applied';
    if (reasons.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict'))
      return 'conflict';
    throw error;
  }
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
  for (const score of scores) {
    // One transaction per score: at most 1 + 1 + 20 items, well inside the 100-item limit.
    await documents.send(new TransactWriteCommand({ TransactItems: removalItems(score) }));
  }
  return scores.length;
}

/** A prospect's score for a version, its current ranking entry and every stale one it left behind. */
export function removalItems(score: StoredScore): TransactItem[] {
  return [
    {
      Delete: { TableName: tableName, Key: keys.score(score.prospectId, score.icpId, score.version) },
    },
    ...[...(score.rank ? [score.rank] : []), ...score.staleRanks].map((rank) => ({
      Delete: {
        TableName: tableName,
        Key: keys.rankEntry(score.icpId, score.version, rank.shard, rank.sortKey),
      },
    })),
  ];
}

type RankKey = { shard: number; sortKey: string };

function sameRank(a: RankKey, b: RankKey | undefined): boolean {
  return a.shard === b?.shard && a.sortKey === b.sortKey;
}

/** Bounded, so a score item stays small whatever the activity; older stale entries are deleted early. */
const MAX_STALE_RANKS = 20;
const MAX_STALE_DELETES_PER_WRITE = 2;
/** DynamoDB's limit on the items of one transaction. */
const MAX_TRANSACTION_ITEMS = 100;
const REQUALIFY_SHARDS = 4;

type StaleRank = StoredScore['staleRanks'][number];

/**
 * Stale ranking keys are stored compactly, `<shard>|<sort key without the prospect id>|<validTo, epoch seconds>`:
 * a busy prospect keeps up to MAX_STALE_RANKS of them, and every byte of the score item is paid on every write.
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

function scoreItem(record: ScoreRecord, staleRanks: StoredScore['staleRanks']) {
  const recheck = record.qualified !== record.announced ? record.updatedAt : record.recheckAt;
  return {
    ...keys.score(record.prospectId, record.icpId, record.version),
    entity: 'score',
    ...serialiseRecord(record),
    staleRanks: staleRanks.map((stale) => encodeStaleRank(stale, record.prospectId)),
    // Only scores with something to re-check are in the sparse due index.
    ...(recheck
      ? keys.requalifyDue(
          shardOf(record.prospectId, REQUALIFY_SHARDS),
          recheck,
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

export { REQUALIFY_SHARDS };
