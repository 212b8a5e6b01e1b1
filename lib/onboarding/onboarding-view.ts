import type { ProspectProfile } from '../model/prospect.js';
import type { Enrollment } from '../store/enrollments.js';
import type { ExpectationRecord } from '../store/expectations.js';

/**
 * The `onboarding` section of GET /v1/prospects/{id}: the decision taken at conversion (which sequence, or
 * none and why), and per enrollment its status, each step's outcome, and the expectations the customer was
 * given, when, by when they must be kept, and whether they were (`outcome`: open, met or broken, with
 * `outcomeAt` and, when met, `respondedAt`): what the experience report counts.
 */
export function presentOnboarding(
  profile: ProspectProfile,
  enrollments: Enrollment[],
  outcomes: ExpectationRecord[],
) {
  const outcomeOf = (sequenceId: string, id: string) =>
    presentOutcome(outcomes.find((item) => item.sequenceId === sequenceId && item.expectationId === id));
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
      expectations: enrollment.expectations.map((expectation) => ({
        ...expectation,
        ...outcomeOf(enrollment.sequenceId, expectation.id),
      })),
    })),
  };
}

/** Null for an expectation given before outcomes were recorded: nothing is known of it. */
function presentOutcome(record: ExpectationRecord | undefined) {
  if (!record) return { outcome: null, outcomeAt: null };
  return {
    outcome: record.status,
    outcomeAt: record.decidedAt ?? null,
    ...(record.respondedAt ? { respondedAt: record.respondedAt } : {}),
  };
}
