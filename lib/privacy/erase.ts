/**
 * Erases a person (GDPR Art. 17): everything of theirs goes, a tombstone without personal data stays, and so
 * does the suppression of their address if they unsubscribed or complained (so they are never mailed again).
 *
 * Order, so that concurrent writers cannot leave anything behind:
 * 1. The profile is marked `erasingAt`. Every writer's condition refuses an erasing profile from then on:
 *    captures (they retry, 503, and land on a new prospect once the profile is gone), the scorer's commit,
 *    merges, conversions, and the dispatcher's claim (so no step is sent after this point).
 * 2. Scores with their ranking entries (current and stale) and due-index keys; enrollments, send records,
 *    merged-away stubs that forward here, dedup markers, touchpoints, anything else in the partition;
 *    repeated until only the profile is left, in case a writer that read before step 1 wrote after it.
 * 3. Identity aliases that still point here (or to a stub); a bounce suppression (it is about the address).
 * 4. The profile and the tombstone, in one transaction: until then a crashed erasure can be resumed by
 *    asking again, because the profile still knows the aliases.
 * Experience and daily counters hold counts only and stay.
 */

import type { IdentityKind, ProspectProfile } from '../model/prospect.js';
import { MESSAGE_CATEGORIES } from '../onboarding/sequence.js';
import {
  aliasKey,
  beginErasure,
  dedupKey,
  deleteBounceSuppression,
  deleteIfOwned,
  deleteMergedStub,
  deletePartitionItems,
  type ErasureCounts,
  finishErasure,
  latestTombstone,
  type PartitionItem,
  readPartition,
  type Tombstone,
} from '../store/erasure.js';
import { getProfile } from '../store/profiles.js';
import { readProspectScores, removeAllScores } from '../store/scores.js';
import { getSuppression, getSuppressions } from '../store/suppressions.js';
import { config } from '../util/config.js';
import { hmacHex } from '../util/crypto.js';
import { log } from '../util/log.js';

const MAX_MERGE_HOPS = 10;
const MAX_SWEEPS = 5;
const PARALLEL_DELETES = 10;

export type ErasureResult =
  | { status: 'erased'; prospectId: string; tombstone: Tombstone }
  | { status: 'already-erased'; prospectId: string; tombstone: Tombstone }
  | { status: 'not-found' };

/** A keyed hash: the tombstone proves an erasure of this id to whoever holds the id, and tells nobody else. */
export function prospectIdHash(prospectId: string): string {
  return hmacHex(config.IDENTITY_HMAC_SECRET, `erased|${prospectId}`);
}

export async function eraseProspect(requestedId: string, by: string, now: Date): Promise<ErasureResult> {
  // An old id of a merged visitor leads to the person it became, as it does for GET.
  let prospectId = requestedId;
  for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
    const profile = await getProfile(prospectId, true);
    if (!profile) break;
    if (profile.mergedInto) {
      prospectId = profile.mergedInto;
      continue;
    }
    const erasing = await beginErasure(prospectId, by, now);
    // Merged or erased meanwhile: look again.
    if (!erasing) continue;
    const tombstone = await eraseEverything(prospectId, erasing, by, now);
    if (tombstone) return { status: 'erased', prospectId, tombstone };
    break;
  }
  for (const id of new Set([prospectId, requestedId])) {
    const tombstone = await latestTombstone(prospectIdHash(id));
    if (tombstone) return { status: 'already-erased', prospectId: id, tombstone };
  }
  return { status: 'not-found' };
}

async function eraseEverything(
  prospectId: string,
  profile: ProspectProfile,
  by: string,
  now: Date,
): Promise<Tombstone | undefined> {
  const counts: ErasureCounts = {
    touchpoints: 0,
    scores: 0,
    rankingEntries: 0,
    enrollments: 0,
    sendRecords: 0,
    aliases: 0,
    dedupMarkers: 0,
    mergedProfiles: 0,
    otherItems: 0,
  };
  const owners = new Set([prospectId]);
  const aliases = aliasesOf(profile);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    const partition = await readPartition(prospectId);
    const found =
      partition.touchpoints.length +
      partition.scores.length +
      partition.enrollments.length +
      partition.sendRecords.length +
      partition.other.length;
    if (!found) break;

    if (partition.scores.length) {
      const { scores } = await readProspectScores(prospectId);
      counts.rankingEntries += scores.reduce(
        (sum, score) => sum + (score.rank ? 1 : 0) + score.staleRanks.length,
        0,
      );
      counts.scores += await removeAllScores(prospectId);
    }
    // Enrollments first: they leave the due index, so no dispatcher run finds this person again.
    await deletePartitionItems(prospectId, keysOf(partition.enrollments));
    counts.enrollments += partition.enrollments.length;
    await deletePartitionItems(prospectId, keysOf(partition.sendRecords));
    counts.sendRecords += partition.sendRecords.length;

    for (const loserId of new Set(partition.touchpoints.flatMap((item) => item.mergedFrom ?? []))) {
      if (owners.has(loserId)) continue;
      const stub = await getProfile(loserId, true);
      if (stub?.mergedInto !== prospectId) continue;
      owners.add(loserId);
      // A merge that crashed before its last step leaves traits and aliases on the stub: they go too.
      aliases.push(...aliasesOf(stub));
      const leftovers = await readPartition(loserId);
      const leftoverKeys = keysOf([
        ...leftovers.touchpoints,
        ...leftovers.scores,
        ...leftovers.enrollments,
        ...leftovers.sendRecords,
        ...leftovers.other,
      ]);
      if (leftovers.scores.length) await removeAllScores(loserId);
      await deletePartitionItems(loserId, leftoverKeys);
      if (await deleteMergedStub(loserId, prospectId)) counts.mergedProfiles++;
    }

    const markers = partition.touchpoints.flatMap((item) => (item.dedupKey ? [item.dedupKey] : []));
    counts.dedupMarkers += (
      await inParallel(markers, (marker) => deleteIfOwned(dedupKey(marker), [...owners]))
    ).filter(Boolean).length;
    await deletePartitionItems(prospectId, keysOf(partition.touchpoints));
    counts.touchpoints += partition.touchpoints.length;
    await deletePartitionItems(prospectId, keysOf(partition.other));
    counts.otherItems += partition.other.length;
  }

  counts.aliases += (
    await inParallel(aliases, ({ kind, value }) => deleteIfOwned(aliasKey(kind, value), [...owners]))
  ).filter(Boolean).length;

  let suppressionKept: Tombstone['suppressionKept'] = null;
  if (profile.emailHash) {
    const suppression = await getSuppression(profile.emailHash);
    if (suppression?.reason === 'bounce') await deleteBounceSuppression(profile.emailHash);
    else if (suppression) suppressionKept = suppression.reason;
    // An unsubscribe from one category is an objection too: it stays, and the account says so.
    if (!suppressionKept) {
      const categories = await Promise.all(
        MESSAGE_CATEGORIES.map((category) => getSuppressions(profile.emailHash!, category)),
      );
      if (categories.some((found) => found.category)) suppressionKept = 'unsubscribe';
    }
  }

  const tombstone: Tombstone = {
    prospectIdHash: prospectIdHash(prospectId),
    requestedAt: profile.erasingAt!,
    erasedAt: now.toISOString(),
    erasedBy: profile.erasingBy ?? by,
    erased: counts,
    suppressionKept,
  };
  if (!(await finishErasure(prospectId, tombstone))) return undefined;
  log.info('prospect erased', { prospectId, ...counts });
  return tombstone;
}

function aliasesOf(profile: ProspectProfile): { kind: IdentityKind; value: string }[] {
  return [
    ...(profile.userId ? [{ kind: 'user' as const, value: profile.userId }] : []),
    ...(profile.emailHash ? [{ kind: 'email' as const, value: profile.emailHash }] : []),
    ...[...(profile.anonymousIds ?? [])].map((value) => ({ kind: 'anon' as const, value })),
  ];
}

const keysOf = (items: PartitionItem[]) => items.map((item) => item.SK);

async function inParallel<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += PARALLEL_DELETES)
    results.push(...(await Promise.all(items.slice(start, start + PARALLEL_DELETES).map(task))));
  return results;
}
