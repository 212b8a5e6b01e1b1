import type { Grade } from '../model/icp.js';
import type { ProspectProfile } from '../model/prospect.js';
import type { RankEntry, StoredReason } from '../model/ranking.js';
import { deserialiseSum, type RankPosition, type ScoreRecord, serialiseSum } from '../model/score.js';
import { valueAt } from '../scoring/decay.js';
import { engagementKey } from '../scoring/rank-key.js';
import { signed } from '../scoring/score.js';
import { round } from '../scoring/score-record.js';

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
