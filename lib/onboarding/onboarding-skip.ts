import { skipIncrements } from '../experience/increments.js';
import type { OnboardingSkip, OnboardingSkipCode, ProspectProfile } from '../model/prospect.js';
import { ANY_ICP, type CounterUpdate, counterUpdates } from '../store/aggregates.js';
import type { Enrollment } from '../store/enrollments.js';
import { recordOnboardingSkip } from '../store/onboarding-skips.js';
import { getProfile } from '../store/profiles.js';

/**
 * A new customer who gets no onboarding email at all is never silent: `onboarding.skipped` on the prospect says
 * why, and the experience report counts them. Decided when no sequence matches at conversion, or when the
 * conversion's enrollment ends (or completes) having sent nothing.
 */
export async function noteIfNothingSent(
  enrollment: Pick<Enrollment, 'prospectId' | 'sequenceId' | 'history' | 'start'>,
  why: { code: OnboardingSkipCode; reason: string },
  now: Date,
): Promise<void> {
  if ((enrollment.start?.kind ?? 'conversion') !== 'conversion') return;
  if (enrollment.history.some((step) => step.status === 'sent')) return;
  const profile = await getProfile(enrollment.prospectId, true);
  if (!profile || profile.onboardingSkipped) return;
  const skip: OnboardingSkip = {
    code: why.code,
    reason: why.reason,
    at: now.toISOString(),
    sequenceId: enrollment.sequenceId,
  };
  await recordOnboardingSkip(enrollment.prospectId, skip, skipCounters(profile, skip));
}

/** The counters a skip adds, in the groups the customer was counted in at conversion. */
export function skipCounters(
  profile: Pick<ProspectProfile, 'prospectId' | 'onboardingDecision'>,
  skip: OnboardingSkip,
): CounterUpdate[] {
  const { byIcp, forSequence } = skipIncrements({
    prospectId: profile.prospectId,
    at: skip.at,
    code: skip.code,
    groups: profile.onboardingDecision?.groups ?? { grades: {}, segments: [] },
    sequenceId: skip.sequenceId,
  });
  return [
    ...Object.entries(byIcp).flatMap(([icpId, increments]) => counterUpdates(icpId, increments)),
    ...counterUpdates(ANY_ICP, forSequence),
  ];
}
