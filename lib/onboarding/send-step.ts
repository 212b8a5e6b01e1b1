import { MailRetryableError } from '../mail/index.js';
import type { ProspectProfile } from '../model/prospect.js';
import { advanceEnrollment, type Enrollment } from '../store/enrollments.js';
import { composeStepMail } from './compose-mail.js';
import type { DispatchOutcome, StepSender } from './dispatch-outcome.js';
import { advanced } from './enrollment-progress.js';
import { expectationCounters } from './expectation-counters.js';
import { giveExpectations } from './expectations.js';
import { expectationsMentioned, loadSender, loadTemplate } from './onboarding-config.js';
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
  delivery: StepSender,
): Promise<DispatchOutcome> {
  const { enrollment, sequence, step, claimToken } = claimed;
  const sender = await loadSender();
  const random = delivery.random ?? Math.random;
  // Every email needs the footer's postal address: with no sender configured nothing may go, and nothing will.
  if (!sender)
    return recordSendFailure(
      enrollment,
      sequence,
      step.id,
      claimToken,
      new MailRetryableError('no sender is configured (config kind sender, id default)', true),
      now,
      random,
    );
  const template = step.template === undefined ? undefined : await loadTemplate(step.template);
  if (step.template !== undefined && !template) {
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
  const mentioned = template ? expectationsMentioned(template) : new Set<string>();
  const given = giveExpectations(enrollment, sequence, mentioned, now);
  let providerMessageId: string;
  try {
    const mail = composeStepMail({
      template,
      step,
      enrollment,
      sequence,
      profile: claimed.profile,
      given,
      sender,
      now,
    });
    ({ providerMessageId } = await delivery.provider.send(mail));
  } catch (error) {
    return recordSendFailure(enrollment, sequence, step.id, claimToken, error, now, random);
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
    {
      stepId: step.id,
      claimToken,
      status: 'sent',
      providerMessageId,
      ...(step.survey ? { surveyKind: step.survey.kind } : {}),
    },
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
