import type { OutgoingMail } from '../mail/index.js';
import type { ProspectProfile } from '../model/prospect.js';
import type { Enrollment, GivenExpectation } from '../store/enrollments.js';
import { config } from '../util/config.js';
import { cleanLine } from '../util/text.js';
import { surveyContent } from './compose-survey.js';
import { templateValues } from './onboarding-config.js';
import { replyAddress } from './reply-address.js';
import { appendHtml, renderFooter, type Sender } from './sender.js';
import type { MessageCategory, Sequence, Step } from './sequence.js';
import { signSurveyToken } from './survey-token.js';
import { renderTemplate, type Template } from './template.js';
import { signUnsubscribeToken } from './unsubscribe-token.js';

const DAY_MS = 86_400_000;

const apiUrl = (path: string) => `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}${path}`;

/**
 * The email of one step: the template rendered (or the survey asked) for this person, the footer with the
 * sender's postal address and the category's unsubscribe link, a one-click unsubscribe header for that category
 * (RFC 8058), the sequence's sender, a Reply-To that attributes replies (and reaches the sequence's replyTo), and
 * an idempotency key, so a provider that sees the step twice sends it once.
 */
export function composeStepMail(input: {
  /** The step's template, for a template step. */
  template?: Template | undefined;
  step: Step;
  enrollment: Enrollment;
  sequence: Sequence;
  profile: ProspectProfile & { email: string; emailHash: string };
  /** Every expectation given so far, those this email tells included. */
  given: GivenExpectation[];
  sender: Sender;
  now: Date;
}): OutgoingMail {
  const { enrollment, profile, step, sequence, sender } = input;
  const { prospectId, sequenceId } = enrollment;
  const unsubscribeUrl = unsubscribeLink(prospectId, profile.emailHash, step.category);
  const body = step.survey
    ? surveyContent({
        survey: step.survey,
        firstName: profile.firstName,
        companyName: sender.companyName,
        linkFor: (answer) =>
          apiUrl(
            `/v1/survey?token=${signSurveyToken(
              {
                prospectId,
                sequenceId,
                stepId: step.id,
                kind: step.survey!.kind,
                answer,
                expires: Math.floor((input.now.getTime() + config.SURVEY_LINK_DAYS * DAY_MS) / 1000),
              },
              config.SURVEY_SECRETS[0]!,
            )}`,
          ),
      })
    : renderTemplate(
        input.template!,
        templateValues({
          traits: profile,
          plan: enrollment.plan,
          sequence,
          given: input.given,
          timezone: enrollment.timezone,
          unsubscribeUrl,
          sender,
        }),
      );
  const footer = renderFooter(sender, step.category, unsubscribeUrl);
  const replyTo = [
    ...(config.REPLY_DOMAIN
      ? [
          replyAddress(
            { prospectId, sequenceId, stepId: step.id },
            config.REPLY_DOMAIN,
            config.REPLY_SECRETS[0]!,
          ),
        ]
      : []),
    ...(sequence.replyTo ? [sequence.replyTo] : []),
  ];
  return {
    to: profile.email,
    from: sequence.from ?? config.MAIL_FROM,
    ...(replyTo.length ? { replyTo } : {}),
    subject: cleanLine(body.subject, 200),
    text: `${body.text.trimEnd()}${footer.text}`,
    html: appendHtml(body.html, footer.html),
    headers: {
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    tags: { prospectId, sequenceId, stepId: step.id, category: step.category },
    idempotencyKey: `${prospectId}.${sequenceId}.${step.id}`,
  };
}

function unsubscribeLink(prospectId: string, emailHash: string, category: MessageCategory): string {
  const token = signUnsubscribeToken({ prospectId, emailHash, category }, config.UNSUBSCRIBE_SECRETS[0]!);
  return apiUrl(`/v1/unsubscribe?token=${token}`);
}
