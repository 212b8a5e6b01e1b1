import type { Grade } from '../model/icp.js';
import type { ProspectProfile } from '../model/prospect.js';
import { deserialiseSum, serialiseSum, valueAt } from '../scoring/decay.js';
import { engagementKey } from '../scoring/rank-key.js';
import { signed } from '../scoring/score.js';
import { type RankPosition, round, type ScoreRecord } from '../scoring/score-record.js';

/**
 * How long a ranking entry outlives the score that moved away from it. A walk through the pages reads the
 * ranking as it was when the walk began, so an entry must stay while a walk may still need it; cursors older than
 * this are refused (the reader starts again).
 */
export const STALE_RANK_SECONDS = 30 * 60;

type StoredSum = ReturnType<typeof serialiseSum>;

/** One line of "why", stored so that its points can be decayed to the time of the read. */
type StoredReason = { text: string; points?: number; sum?: StoredSum };

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

const REASONS_KEPT = 3;

export function rankEntryFor(record: ScoreRecord, rank: RankPosition, profile: ProspectProfile): RankEntry {
  const fitReasons: StoredReason[] = [...record.fit.contributions]
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
    .slice(0, REASONS_KEPT)
    .map((contribution) => ({ text: contribution.reason, points: contribution.points }));
  const engagementReasons: StoredReason[] = Object.values(record.state.ledger)
    .filter(
      (entry) => entry.sum.pos !== Number.NEGATIVE_INFINITY || entry.sum.neg !== Number.NEGATIVE_INFINITY,
    )
    .map((entry) => ({ text: entry.reason, sum: serialiseSum(entry.sum) }));
  const name = profile.name ?? ([profile.firstName, profile.lastName].filter(Boolean).join(' ') || undefined);
  return {
    icpId: record.icpId,
    version: record.version,
    shard: rank.shard,
    sortKey: rank.sortKey,
    prospectId: record.prospectId,
    validFrom: rank.validFrom,
    grade: record.fit.grade,
    fit: record.fit.points,
    engagement: serialiseSum(record.state.engagement),
    engagementKey: engagementKey(record.state.engagement),
    qualified: record.qualified,
    lastTouchpointAt: record.state.lastTouchpointAt ?? null,
    segments: record.segments,
    ...(profile.email ? { email: profile.email } : {}),
    ...(name ? { name } : {}),
    ...(profile.company ? { company: profile.company } : {}),
    ...(profile.title ? { title: profile.title } : {}),
    reasons: [
      ...(record.fit.disqualifiedBy
        ? [{ text: `Disqualified: ${record.fit.disqualifiedBy}`, points: 0 }]
        : []),
      ...fitReasons,
      // Engagement reasons are few (one per rule) and only their decayed order is known at read time.
      ...engagementReasons.slice(0, 12),
    ],
  };
}

export type RankedProspect = {
  prospectId: string;
  email: string | null;
  name: string | null;
  company: string | null;
  title: string | null;
  grade: Grade;
  fit: number;
  engagement: number;
  qualified: boolean;
  lastTouchpointAt: string | null;
  segments: string[];
  topReasons: string[];
};

/** A list item: engagement and reasons decayed to the time of the request. */
export function presentRankEntry(entry: RankEntry, halfLifeDays: number, nowMs: number): RankedProspect {
  const reasons = entry.reasons
    .map((reason) => ({
      text: reason.text,
      points:
        reason.points ??
        (reason.sum ? Math.round(valueAt(deserialiseSum(reason.sum), nowMs, halfLifeDays)) : 0),
      disqualifier: reason.text.startsWith('Disqualified: '),
    }))
    .filter((reason) => reason.disqualifier || reason.points !== 0)
    .sort(
      (a, b) => Number(b.disqualifier) - Number(a.disqualifier) || Math.abs(b.points) - Math.abs(a.points),
    )
    .slice(0, REASONS_KEPT)
    .map((reason) => (reason.disqualifier ? reason.text : `${reason.text}: ${signed(reason.points)}`));
  const engagement = Math.max(0, valueAt(deserialiseSum(entry.engagement), nowMs, halfLifeDays));
  return {
    prospectId: entry.prospectId,
    email: entry.email ?? null,
    name: entry.name ?? null,
    company: entry.company ?? null,
    title: entry.title ?? null,
    grade: entry.grade,
    fit: entry.fit,
    engagement: round(engagement),
    qualified: entry.qualified,
    lastTouchpointAt: entry.lastTouchpointAt,
    segments: entry.segments,
    topReasons: reasons,
  };
}
