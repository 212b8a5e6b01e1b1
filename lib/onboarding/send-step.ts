import type { ProspectProfile } from '../model/prospect.js';
import { advanceEnrollment, type Enrollment } from '../store/enrollments.js';
import { composeStepMail } from './compose-mail.js';
import type { DispatchOutcome, StepSender } from './dispatch-outcome.js';
import { advanced } from './enrollment-progress.js';
import { expectationCounters } from './expectation-counters.js';
import { giveExpectations } from './expectations.js';
import { expectationsMentioned, loadTemplate } from './onboarding-config.js';
import { recordSendFailure } from './send-failure.js';
import type { Sequence, Step } from './sequence.js';

/**
 * Sends a step this run holds the claim of (`claimToken`), and records the outcome with the enrollment's next
 * step and the expectations the email told, in one transaction.
 */
export async function sendClaimedStep(
  claimed: {
    enrollment: Enrollment;
    sequence: Sequence;
    step: Step;
    profile: ProspectProfile & { email: string; emailHash: string };
    claimToken: string;
  },
  now: Date,
  sender: StepSender,
): Promise<DispatchOutcome> {
  const { enrollment, sequence, step, claimToken } = claimed;
  const template = await loadTemplate(step.template);
  if (!template) {
    const reason = `template ${step.template} is missing`;
    const next = advanced(enrollment, sequence, now, {
      stepId: step.id,
      status: 'failed',
      at: now.toISOString(),
      reason,
    });
    await advanceEnrollment(next, enrollment.stepIndex, {
      stepId: step.id,
      claimToken,
      status: 'failed',
      reason,
    });
    return 'failed';
  }
  const given = giveExpectations(enrollment, sequence, expectationsMentioned(template), now);
  const mail = composeStepMail({ template, step, enrollment, sequence, profile: claimed.profile, given });

  let providerMessageId: string;
  try {
    ({ providerMessageId } = await sender.provider.send(mail));
  } catch (error) {
    return recordSendFailure(
      enrollment,
      sequence,
      step.id,
      claimToken,
      error,
      now,
      sender.random ?? Math.random,
    );
  }
  const next = advanced({ ...enrollment, expectations: given }, sequence, now, {
    stepId: step.id,
    status: 'sent',
    at: now.toISOString(),
    providerMessageId,
  });
  const told = given.filter((item) => !enrollment.expectations.some((before) => before.id === item.id));
  await advanceEnrollment(
    next,
    enrollment.stepIndex,
    { stepId: step.id, claimToken, status: 'sent', providerMessageId },
    {
      expectations: told,
      counters: expectationCounters(
        told.map((expectation) => ({
          prospectId: enrollment.prospectId,
          sequenceId: enrollment.sequenceId,
          expectationId: expectation.id,
          givenAt: expectation.givenAt,
          count: 'given',
        })),
      ),
    },
  );
  return 'sent';
}
