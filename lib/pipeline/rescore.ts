import { randomUUID } from 'node:crypto';
import { scoreHistory } from '../scoring/score-record.js';
import { loadIcpVersion, loadSegments } from '../scoring/scoring-config.js';
import {
  appliedTouchpoints,
  claimSegment,
  createSegments,
  listSegments,
  type RescoreSegment,
  saveSegmentProgress,
  scanProfiles,
} from '../store/rescore-store.js';
import { commitScores, readProspectScores } from '../store/scores.js';
import { getScoringState, type IcpVersions, updateScoringState } from '../store/scoring-state.js';
import { config } from '../util/config.js';
import { log } from '../util/log.js';
import { withRetries } from '../util/retry.js';
import { scoreWrite } from './score-write.js';

/** Parallel Scan segments of one rescore: that many workers can share it. */
export const RESCORE_SEGMENTS = 4;
const PAGE = 100;

/**
 * Makes a new ICP version the one being built. From then on the stream keeps it current alongside the served
 * one; a background rescore fills in every existing prospect; readers keep the served version until it is done.
 */
export async function publishIcpVersion(icpId: string, version: number, now: Date): Promise<IcpVersions> {
  await createSegments(icpId, version, RESCORE_SEGMENTS);
  const state = await updateScoringState((state) => {
    const current = state.icps[icpId];
    if (current && (current.serving === version || current.building === version)) return undefined;
    state.icps[icpId] = {
      serving: current?.serving ?? null,
      building: version,
      buildingSince: now.toISOString(),
      segments: RESCORE_SEGMENTS,
    };
    return state;
  });
  return state.icps[icpId]!;
}

export type RescoreProgress = IcpVersions & {
  rescore: { version: number; segmentsDone: number; segments: number; prospectsRescored: number } | null;
};

export async function rescoreProgress(icpId: string): Promise<RescoreProgress | undefined> {
  const versions = (await getScoringState({ fresh: true })).icps[icpId];
  if (!versions) return undefined;
  if (versions.building === null) return { ...versions, rescore: null };
  const segments = await listSegments(icpId, versions.building);
  return {
    ...versions,
    rescore: {
      version: versions.building,
      segmentsDone: segments.filter((segment) => segment.status === 'done').length,
      segments: segments.length,
      prospectsRescored: segments.reduce((total, segment) => total + segment.processed, 0),
    },
  };
}

/**
 * Works on every pending rescore until `deadline`: claims a free segment, scans it page by page from where it
 * stopped, and switches readers to the new version once every segment is done. Any number of these may run at
 * once (scheduled Lambda invocations); each segment has one owner at a time.
 */
export async function runRescores(
  now: () => Date,
  deadline: number,
): Promise<{ rescored: number; completed: string[] }> {
  const owner = randomUUID();
  const state = await getScoringState({ fresh: true });
  let rescored = 0;
  const completed: string[] = [];
  for (const [icpId, versions] of Object.entries(state.icps)) {
    if (versions.building === null) continue;
    // Scorers cache the state for CONFIG_CACHE_SECONDS: wait until none can still miss the new version.
    const visibleAt = Date.parse(versions.buildingSince ?? '') + 2 * config.CONFIG_CACHE_SECONDS * 1000;
    if (now().getTime() < visibleAt) continue;
    const version = versions.building;
    for (const segment of await listSegments(icpId, version)) {
      if (Date.now() >= deadline) break;
      if (segment.status === 'done') continue;
      if (!(await claimSegment(segment, owner, now().getTime(), deadline - Date.now() + 60_000))) continue;
      rescored += await workOnSegment(segment, owner, now, deadline);
    }
    const segments = await listSegments(icpId, version);
    if (segments.length && segments.every((segment) => segment.status === 'done')) {
      await updateScoringState((current) => {
        const entry = current.icps[icpId];
        if (!entry || entry.building !== version) return undefined;
        current.icps[icpId] = { serving: version, building: null, completedAt: now().toISOString() };
        return current;
      });
      completed.push(`${icpId}@${version}`);
      log.info('rescore complete', { icpId, version });
    }
  }
  return { rescored, completed };
}

async function workOnSegment(
  segment: RescoreSegment,
  owner: string,
  now: () => Date,
  deadline: number,
): Promise<number> {
  let startKey = segment.lastKey ? (JSON.parse(segment.lastKey) as Record<string, unknown>) : undefined;
  let total = 0;
  do {
    const page = await scanProfiles(segment.segment, segment.totalSegments, startKey, PAGE);
    for (const prospectId of page.prospectIds)
      await rescoreProspect(prospectId, segment.icpId, segment.version, now());
    total += page.prospectIds.length;
    startKey = page.lastKey;
    const saved = await saveSegmentProgress(segment, owner, {
      processed: page.prospectIds.length,
      lastKey: startKey ? JSON.stringify(startKey) : undefined,
      done: !startKey,
    });
    if (!saved) break;
  } while (startKey && Date.now() < deadline);
  return total;
}

/**
 * Recomputes one prospect's score for a version being built from every touchpoint the stream has applied. The
 * write is conditional on the revision read: if the stream applied a touchpoint meanwhile, this retries, so no
 * touchpoint is counted twice or missed.
 */
export async function rescoreProspect(prospectId: string, icpId: string, version: number, now: Date) {
  const icp = await loadIcpVersion(icpId, version);
  await withRetries(
    async () => {
      const { profile, scores } = await readProspectScores(prospectId);
      if (!profile || profile.mergedInto || profile.erasingAt) return true;
      const existing = scores.find((score) => score.icpId === icpId && score.version === version);
      const served = scores
        .filter((score) => score.icpId === icpId && score.version !== version)
        .sort((a, b) => b.version - a.version)[0];
      const record = scoreHistory(
        {
          icp,
          version,
          prospectId,
          known: Boolean(profile.known),
          traits: profile,
          segmentDefinitions: await loadSegments(),
          now,
        },
        await appliedTouchpoints(prospectId),
        {
          ...(existing ? { rev: existing.rev, ...(existing.rank ? { rank: existing.rank } : {}) } : {}),
          qualified: served?.qualified ?? false,
          announced: served?.announced ?? false,
          ...(served?.qualifiedAt ? { qualifiedAt: served.qualifiedAt } : {}),
        },
      );
      const outcome = await commitScores({
        prospectId,
        writes: [scoreWrite(existing, record, profile, now)],
        removals: [],
        announcements: [],
        counters: [],
        expectations: [],
        now,
      });
      return outcome === 'conflict' ? undefined : true;
    },
    { failure: 'A prospect kept changing while it was rescored' },
  );
}
