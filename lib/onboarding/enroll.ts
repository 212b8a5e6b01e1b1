import { followMerges } from '../identity/record-capture.js';
import type { Grade } from '../model/icp.js';
import type { ProspectProfile } from '../model/prospect.js';
import { evaluateFit, segmentsOf } from '../scoring/fit.js';
import { loadIcpVersion, loadSegments } from '../scoring/scoring-config.js';
import { decideOnboarding, type OnboardingDecision } from '../store/enrollments.js';
import { getProfile } from '../store/profiles.js';
import { getScoringState } from '../store/scoring-state.js';
import { type Customer, chooseSequence } from './choose-sequence.js';
import { newEnrollment } from './enrollment-progress.js';
import { loadCurrentSequences } from './onboarding-config.js';
import { skipCounters } from './onboarding-skip.js';
import { startMatches } from './sequence-start.js';

/** Grades on every served ICP (fit only: who they are, not how engaged) and segments, from the profile. */
export async function customerFacts(profile: ProspectProfile, plan: string | undefined): Promise<Customer> {
  const state = await getScoringState();
  const grades: Record<string, Grade> = {};
  for (const [icpId, versions] of Object.entries(state.icps)) {
    if (versions.serving === null) continue;
    grades[icpId] = evaluateFit(await loadIcpVersion(icpId, versions.serving), profile).grade;
  }
  return { grades, segments: segmentsOf(await loadSegments(), profile), plan };
}

/**
 * Chooses the customer's onboarding sequence (among those that start on a conversion) and enrolls them, once per
 * prospect: the decision (a sequence, or none and why) is written with the enrollment in one conditional
 * transaction, so a replayed conversion, or a later one, finds the first decision and enrolls nobody again. A
 * customer no sequence fits is recorded as `onboarding.skipped` in the same transaction, and counted.
 */
export async function enrollCustomer(
  prospectId: string,
  conversion: { id: string; plan: string | undefined },
  now: Date,
): Promise<OnboardingDecision & { prospectId: string }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const currentId = await followMerges(prospectId, now);
    const profile = await getProfile(currentId, true);
    if (!profile) throw new Error('A converted prospect has no profile');
    if (profile.onboardingDecision) return { ...profile.onboardingDecision, prospectId: currentId };
    const plan = conversion.plan ?? profile.plan;
    const sequences = (await loadCurrentSequences()).filter((entry) =>
      startMatches(entry.sequence.start, { kind: 'conversion' }),
    );
    const facts = await customerFacts(profile, plan);
    const choice = chooseSequence(
      sequences.map((entry) => entry.sequence),
      facts,
    );
    const decision: OnboardingDecision = {
      sequenceId: choice.sequence?.id ?? null,
      reason: choice.reason,
      at: now.toISOString(),
      conversionId: conversion.id,
      groups: { grades: facts.grades, segments: [...facts.segments] },
    };
    const sequence = choice.sequence;
    const enrollment = sequence
      ? newEnrollment({
          prospectId: currentId,
          sequence,
          version: sequences.find((entry) => entry.sequence.id === sequence.id)!.version,
          trigger: { kind: 'conversion' },
          timezone: profile.timezone,
          plan,
          now,
        })
      : undefined;
    const skip = sequence
      ? undefined
      : { code: 'no-sequence' as const, reason: choice.reason, at: decision.at, sequenceId: null };
    const skipped = skip && {
      skip,
      counters: skipCounters({ prospectId: currentId, onboardingDecision: decision }, skip),
    };
    // Lost to a concurrent decision or a merge: the next pass reads what won.
    if ((await decideOnboarding(currentId, decision, enrollment, skipped)) === 'decided')
      return { ...decision, prospectId: currentId };
  }
  throw new Error('The onboarding decision kept conflicting');
}
