import type { ProspectProfile } from '../model/prospect.js';
import type { Enrollment } from '../store/enrollments.js';
import type { ExpectationRecord } from '../store/expectations.js';
import type { SurveyResponse } from '../store/survey-responses.js';

/**
 * The `onboarding` section of GET /v1/prospects/{id}: the decision taken at conversion (which sequence, or
 * none and why), `skipped` when a new customer got no onboarding email at all (why, and when that was known), per
 * enrollment what started it, its status, each step's outcome, and the expectations the customer was given, when,
 * by when they must be kept, and whether they were (`outcome`: open, met or broken, with `outcomeAt` and, when met,
 * `respondedAt`): what the experience report counts; and the answers to the surveys sent, with their comments.
 */
export function presentOnboarding(
  profile: ProspectProfile,
  enrollments: Enrollment[],
  outcomes: ExpectationRecord[],
  responses: SurveyResponse[] = [],
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
    skipped: profile.onboardingSkipped ?? null,
    enrollments: enrollments.map((enrollment) => ({
      sequenceId: enrollment.sequenceId,
      sequenceVersion: enrollment.sequenceVersion,
      start: enrollment.start ?? { kind: 'conversion', detail: 'conversion' },
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
    surveys: responses
      .map((response) => ({
        sequenceId: response.sequenceId,
        stepId: response.stepId,
        kind: response.kind,
        answer: response.answer,
        comment: response.comment ?? null,
        answeredAt: response.answeredAt,
        firstAnsweredAt: response.firstAnsweredAt,
        revision: response.revision,
      }))
      .sort((a, b) => b.answeredAt.localeCompare(a.answeredAt)),
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
