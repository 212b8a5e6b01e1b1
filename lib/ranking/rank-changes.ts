import type { ProspectProfile } from '../model/prospect.js';
import type { RankPosition, ScoreRecord } from '../model/score.js';
import type { RankChanges, StaleRank, StoredScore } from '../store/scores.js';
import { rankEntryFor } from './rank-entry.js';

/**
 * How long a ranking entry outlives the score that moved away from it. A walk through the pages reads the
 * ranking as it was when the walk began, so an entry must stay while a walk may still need it; cursors older than
 * this are refused (the reader starts again).
 */
export const STALE_RANK_SECONDS = 30 * 60;
/** Bounded, so a score item stays small whatever the activity; older stale entries are deleted early. */
const MAX_STALE_RANKS = 20;
/** At most a few deletions per write keep the scorer's transaction small; the rest go at later writes or by TTL. */
const MAX_STALE_DELETES_PER_WRITE = 2;

/**
 * What a new score does to its ranking: its current entry is written (entries carry what a list shows, so it is
 * rewritten whenever the score is), the entry it moved away from is closed but kept for walks in progress, and
 * stale entries old enough that no walk can need them are deleted, a few per write.
 */
export function rankChanges(
  previous: StoredScore | undefined,
  record: ScoreRecord,
  profile: ProspectProfile,
  now: Date,
): { rank: RankChanges; staleRanks: StaleRank[] } {
  const nowIso = now.toISOString();
  const previousRank = previous?.rank;
  const moved = previousRank !== undefined && !sameRank(previousRank, record.rank);
  // A key that becomes current again is rewritten whole (validTo removed), so it is no longer stale.
  const staleRanks = (previous?.staleRanks ?? []).filter((stale) => !sameRank(stale, record.rank));
  if (previousRank && moved) staleRanks.push({ ...previousRank, validTo: nowIso });
  const expired = staleRanks.filter(
    (stale) => now.getTime() - Date.parse(stale.validTo) > STALE_RANK_SECONDS * 1000,
  );
  const removed = [
    ...expired,
    ...staleRanks.filter((stale) => !expired.includes(stale)).slice(0, -MAX_STALE_RANKS),
  ].slice(0, MAX_STALE_DELETES_PER_WRITE);
  return {
    rank: {
      ...(record.rank ? { put: rankEntryFor(record, record.rank, profile) } : {}),
      ...(previousRank && moved
        ? {
            close: {
              shard: previousRank.shard,
              sortKey: previousRank.sortKey,
              validTo: nowIso,
              expiresAt: Math.floor(now.getTime() / 1000) + STALE_RANK_SECONDS,
            },
          }
        : {}),
      remove: removed.map(({ shard, sortKey }) => ({ shard, sortKey })),
    },
    staleRanks: staleRanks.filter((stale) => !removed.includes(stale)),
  };
}

type RankKey = Pick<RankPosition, 'shard' | 'sortKey'>;

function sameRank(a: RankKey, b: RankKey | undefined): boolean {
  return a.shard === b?.shard && a.sortKey === b.sortKey;
}
