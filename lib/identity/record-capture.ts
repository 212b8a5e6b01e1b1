import { touchpointExpiry } from '../capture/retention.js';
import { ThrottledError } from '../model/errors.js';
import type { IdentityRef, ProspectProfile } from '../model/prospect.js';
import type { Capture } from '../model/touchpoint.js';
import { getAliases, identityKeyString } from '../store/aliases.js';
import { getDedupProspect, writeTouchpoint } from '../store/capture-transaction.js';
import { keys } from '../store/keys.js';
import { finishMerge, foldProfile, markMerged, moveTouchpoints, repointAlias } from '../store/merges.js';
import { getProfile } from '../store/profiles.js';
import { removeAllScores } from '../store/scores.js';
import { sha256Hex } from '../util/crypto.js';
import { derivedProspectId, eventIdFor, identityRefs, mayMerge } from './identity.js';

const MAX_ATTEMPTS = 6;
const MAX_MERGE_HOPS = 10;
const ALIAS_CACHE_SIZE = 10_000;

// Warm Lambdas remember where an identity led; a stale entry only costs a retry, because every write
// re-checks the alias in its transaction.
const aliasCache = new Map<string, string>();

export type RecordResult = { prospectId: string; duplicate: boolean };

/** Stores a capture once, on the right prospect, stitching identities and merging visitors as needed. */
export async function recordCapture(capture: Capture, now = new Date()): Promise<RecordResult> {
  const refs = identityRefs(capture.identities);
  const primary = refs[0];
  if (!primary) throw new Error('A capture needs at least one identity');
  const touchpoint = { ...capture.touchpoint, eventId: eventIdFor(capture.dedup.scope, capture.dedup.id) };
  const dedupKey = keys.dedup(capture.dedup.scope, sha256Hex(capture.dedup.id).slice(0, 40));
  const expiresAt = Math.floor(now.getTime() / 1000) + capture.dedup.ttlSeconds;
  const touchpointExpiresAt = touchpointExpiry(touchpoint);
  const userId = refs.find((ref) => ref.kind === 'user')?.value;
  const emailHash = refs.find((ref) => ref.kind === 'email')?.value;

  let target = aliasCache.get(identityKeyString(primary)) ?? derivedProspectId(primary);
  let expected: 'absent-or-target' | Map<string, string | null> = 'absent-or-target';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const outcome = await writeTouchpoint({
      prospectId: target,
      touchpoint,
      touchpointExpiresAt,
      identities: refs,
      expectedAliases: expected,
      ...(userId ? { userId } : {}),
      ...(emailHash ? { emailHash } : {}),
      dedup: { key: dedupKey, expiresAt },
      now,
    });
    if (outcome.status === 'written') {
      remember(refs, target);
      return { prospectId: target, duplicate: false };
    }
    if (outcome.status === 'duplicate') {
      return { prospectId: (await getDedupProspect(dedupKey)) ?? target, duplicate: true };
    }
    ({ target, expected } = await resolveIdentities(refs, now));
  }
  throw new ThrottledError('The prospect is being updated concurrently; retry shortly');
}

/**
 * Finds the prospect a capture belongs to when the optimistic guess was wrong. The winner is the prospect of the
 * capture's strongest identity, else the first other one (by strength) that is not a different known person,
 * else a new prospect. Other prospects the capture names are merged into the winner when they are anonymous (or
 * known only by the same identities); otherwise their alias is re-pointed to the winner: the last claim wins.
 */
async function resolveIdentities(refs: IdentityRef[], now: Date) {
  const aliases = await getAliases(refs);
  const owners: { ref: IdentityRef; prospectId: string; profile: ProspectProfile | undefined }[] = [];
  for (const ref of refs) {
    const aliased = aliases.get(identityKeyString(ref));
    if (!aliased) continue;
    const prospectId = await followMerges(aliased, now);
    owners.push({ ref, prospectId, profile: await getProfile(prospectId, true) });
  }
  const winner =
    owners.find((owner) => owner.ref === refs[0])?.prospectId ??
    owners.find((owner) => !owner.profile || mayMerge(owner.profile, refs))?.prospectId ??
    derivedProspectId(refs[0]!);
  const merged = new Set([winner]);
  for (const owner of owners) {
    if (merged.has(owner.prospectId) || !owner.profile || !mayMerge(owner.profile, refs)) continue;
    await mergeProspects(owner.prospectId, winner, now);
    merged.add(owner.prospectId);
  }
  const current = owners.length ? await getAliases(refs) : new Map<string, string>();
  return {
    target: winner,
    expected: new Map(
      refs.map((ref) => [identityKeyString(ref), current.get(identityKeyString(ref)) ?? null]),
    ),
  };
}

/** The prospect an id now stands for, finishing any merge that a crashed writer left half done. */
export async function followMerges(prospectId: string, now = new Date()): Promise<string> {
  let current = prospectId;
  for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
    const profile = await getProfile(current, true);
    if (!profile?.mergedInto) return current;
    if (!profile.mergeCompletedAt) await completeMerge(current, profile.mergedInto, now);
    current = profile.mergedInto;
  }
  throw new Error(`Merge chain from ${prospectId} is longer than ${MAX_MERGE_HOPS}`);
}

export async function mergeProspects(loserId: string, winnerId: string, now: Date): Promise<void> {
  if (await markMerged(loserId, winnerId, now)) await completeMerge(loserId, winnerId, now);
}

/**
 * Each step is idempotent and ordered so that a crash at any point leaves nothing lost: touchpoints are copied
 * before the loser's aliases move, so an alias that still leads to the loser leads here again to finish.
 */
async function completeMerge(loserId: string, winnerId: string, now: Date): Promise<void> {
  const loser = await getProfile(loserId, true);
  if (!loser || loser.mergeCompletedAt) return;
  await moveTouchpoints(loserId, winnerId);
  let foldInto = winnerId;
  while (!(await foldProfile(loser, foldInto, now))) foldInto = await followMerges(foldInto, now);
  const loserRefs: IdentityRef[] = [
    ...(loser.userId ? [{ kind: 'user' as const, value: loser.userId }] : []),
    ...(loser.emailHash ? [{ kind: 'email' as const, value: loser.emailHash }] : []),
    ...[...(loser.anonymousIds ?? [])].map((value) => ({ kind: 'anon' as const, value })),
  ];
  for (const ref of loserRefs) await repointAlias(ref, loserId, winnerId, now);
  // The winner's scores take the moved touchpoints in from the stream; the loser's would rank a ghost.
  await removeAllScores(loserId);
  await finishMerge(loserId, now);
}

function remember(refs: IdentityRef[], prospectId: string): void {
  for (const ref of refs) {
    const key = identityKeyString(ref);
    aliasCache.delete(key);
    aliasCache.set(key, prospectId);
  }
  while (aliasCache.size > ALIAS_CACHE_SIZE) aliasCache.delete(aliasCache.keys().next().value!);
}
