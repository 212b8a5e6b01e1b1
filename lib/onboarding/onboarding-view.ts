import { listEnrollments } from '../store/enrollments.js';
import type { ProspectProfile } from '../store/prospects.js';

/**
 * The `onboarding` section of GET /v1/prospects/{id}: the decision taken at conversion (which sequence, or
 * none and why), and per enrollment its status, each step's outcome, and the expectations the customer was
 * given, when, and by when they must be kept: what the experience report compares with what happened.
 */
export async function presentOnboarding(profile: ProspectProfile) {
  const enrollments = await listEnrollments(profile.prospectId);
  return {
    decision: profile.onboardingDecision
      ? {
          sequenceId: profile.onboardingDecision.sequenceId,
          reason: profile.onboardingDecision.reason,
          at: profile.onboardingDecision.at,
        }
      : null,
    enrollments: enrollments.map((enrollment) => ({
      sequenceId: enrollment.sequenceId,
      sequenceVersion: enrollment.sequenceVersion,
      status: enrollment.status,
      reason: enrollment.reason ?? null,
      enrolledAt: enrollment.enrolledAt,
      nextDueAt: enrollment.status === 'active' ? (enrollment.nextDueAt ?? null) : null,
      timezone: enrollment.timezone,
      plan: enrollment.plan ?? null,
      steps: enrollment.history.map((step) => ({
        stepId: step.stepId,
        status: step.status,
        at: step.at,
        ...(step.providerMessageId ? { providerMessageId: step.providerMessageId } : {}),
        ...(step.reason ? { reason: step.reason } : {}),
      })),
      expectations: enrollment.expectations,
    })),
  };
}
