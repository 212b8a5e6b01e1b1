import type { OutgoingMail } from '../mail/index.js';
import type { ProspectProfile } from '../model/prospect.js';
import type { Enrollment, GivenExpectation } from '../store/enrollments.js';
import { config } from '../util/config.js';
import { templateValues } from './onboarding-config.js';
import type { Sequence, Step } from './sequence.js';
import { renderTemplate, type Template } from './template.js';
import { signUnsubscribeToken } from './unsubscribe-token.js';

/**
 * The email of one step: the template rendered for this person, with a one-click unsubscribe link (RFC 8058)
 * and an idempotency key, so a provider that sees the step twice sends it once.
 */
export function composeStepMail(input: {
  template: Template;
  step: Step;
  enrollment: Enrollment;
  sequence: Sequence;
  profile: ProspectProfile & { email: string; emailHash: string };
  /** Every expectation given so far, those this email tells included. */
  given: GivenExpectation[];
}): OutgoingMail {
  const { enrollment, profile, step } = input;
  const { prospectId, sequenceId } = enrollment;
  const unsubscribeUrl = `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/v1/unsubscribe?token=${signUnsubscribeToken(
    { prospectId, emailHash: profile.emailHash },
    config.UNSUBSCRIBE_SECRETS[0]!,
  )}`;
  const rendered = renderTemplate(
    input.template,
    templateValues({
      traits: profile,
      plan: enrollment.plan,
      sequence: input.sequence,
      given: input.given,
      timezone: enrollment.timezone,
      unsubscribeUrl,
    }),
  );
  return {
    to: profile.email,
    from: config.MAIL_FROM,
    ...rendered,
    headers: {
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    tags: { prospectId, sequenceId, stepId: step.id },
    idempotencyKey: `${prospectId}.${sequenceId}.${step.id}`,
  };
}
