import { followMerges } from '../identity/record-capture.js';
import type { Grade } from '../model/icp.js';
import type { ProspectProfile } from '../model/prospect.js';
import { evaluateFit, segmentsOf } from '../scoring/fit.js';
import { loadIcpVersion, loadSegments } from '../scoring/scoring-config.js';
import { decideOnboarding, type Enrollment, type OnboardingDecision } from '../store/enrollments.js';
import { getProfile } from '../store/profiles.js';
import { getScoringState } from '../store/scoring-state.js';
import { type Customer, chooseSequence } from './choose-sequence.js';
import { loadCurrentSequences } from './onboarding-config.js';
import { nextSendTime, sendTimeZone, stepDueTime } from './schedule.js';

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
 * Chooses the customer's onboarding sequence and enrolls them, once per prospect: the decision (a sequence,
 * or none and why) is written with the enrollment in one conditional transaction, so a replayed conversion,
 * or a later one, finds the first decision and enrolls nobody again.
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
    const sequences = await loadCurrentSequences();
    const choice = chooseSequence(
      sequences.map((entry) => entry.sequence),
      await customerFacts(profile, plan),
    );
    const decision: OnboardingDecision = {
      sequenceId: choice.sequence?.id ?? null,
      reason: choice.reason,
      at: now.toISOString(),
      conversionId: conversion.id,
    };
    let enrollment: Enrollment | undefined;
    if (choice.sequence) {
      const sequence = choice.sequence;
      const version = sequences.find((entry) => entry.sequence.id === sequence.id)!.version;
      const timezone = sendTimeZone(sequence.sendWindow, profile.timezone);
      const firstDue = nextSendTime(
        stepDueTime(now, sequence.steps[0]!.delay),
        sequence.sendWindow,
        timezone,
      );
      enrollment = {
        prospectId: currentId,
        sequenceId: sequence.id,
        sequenceVersion: version,
        status: 'active',
        enrolledAt: now.toISOString(),
        updatedAt: now.toISOString(),
        stepIndex: 0,
        nextDueAt: firstDue.toISOString(),
        timezone,
        ...(plan ? { plan } : {}),
        expectations: [],
        history: [],
      };
    }
    // Lost to a concurrent decision or a merge: the next pass reads what won.
    if ((await decideOnboarding(currentId, decision, enrollment)) === 'decided')
      return { ...decision, prospectId: currentId };
  }
  throw new Error('The onboarding decision kept conflicting');
}
