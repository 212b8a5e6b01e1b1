import type { Grade } from './icp.js';
import type { StoredSum } from './score.js';

/** How a grade sorts in a ranking key: A highest. */
export const GRADE_DIGIT: Record<Grade, string> = { A: '4', B: '3', C: '2', D: '1' };

/** One line of "why", stored so that its points can be decayed to the time of the read. */
export type StoredReason = { text: string; points?: number; sum?: StoredSum };

/**
 * A prospect's place in one ICP version's ranking. Its key (shard, sortKey) never changes: a new score writes a
 * new entry and closes the old one (`validTo`), so a walk that began at T reads exactly the entries valid at T.
 * It carries what a list shows, so a page is one Query per shard and nothing more.
 */
export type RankEntry = {
  icpId: string;
  version: number;
  shard: number;
  sortKey: string;
  prospectId: string;
  validFrom: string;
  grade: Grade;
  fit: number;
  engagement: StoredSum;
  /** The order-preserving encoding of `engagement`, for a minimum-engagement filter. */
  engagementKey: string;
  qualified: boolean;
  lastTouchpointAt: string | null;
  segments: string[];
  email?: string;
  name?: string;
  company?: string;
  title?: string;
  reasons: StoredReason[];
};

export type ShardRead<T> = {
  shard: number;
  /** Matching items, highest key first. */
  items: { sortKey: string; value: T }[];
  /** The last key the Query evaluated when it stopped at its Limit; undefined when the shard is exhausted. */
  lastKey: string | undefined;
};
