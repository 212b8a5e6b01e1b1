import { escapeHtml } from '../util/html.js';
import { SURVEY_SCALES, type Survey } from './sequence.js';

/** What the ends of each scale mean, as the email and the answer page label them. */
export const SCALE_LABELS: Record<Survey['kind'], { low: string; high: string }> = {
  nps: { low: 'Not at all likely', high: 'Extremely likely' },
  csat: { low: 'Very dissatisfied', high: 'Very satisfied' },
};

/** The answers a survey offers, lowest first. */
export function surveyAnswers(kind: Survey['kind']): number[] {
  const { min, max } = SURVEY_SCALES[kind];
  return Array.from({ length: max - min + 1 }, (_, index) => min + index);
}

/**
 * A survey email: the question and one link per answer (each its own signed token). One click answers; the page it
 * opens shows the answer chosen and offers a comment, and records only when sent.
 */
export function surveyContent(input: {
  survey: Survey;
  firstName: string | undefined;
  companyName: string;
  linkFor: (answer: number) => string;
}): { subject: string; text: string; html: string } {
  const { survey } = input;
  const labels = SCALE_LABELS[survey.kind];
  const answers = surveyAnswers(survey.kind);
  const greeting = `Hi ${input.firstName?.trim() || 'there'},`;
  const scale = `${answers[0]} = ${labels.low.toLowerCase()}, ${answers.at(-1)} = ${labels.high.toLowerCase()}`;
  const text = [
    greeting,
    '',
    survey.question,
    '',
    `Choose your answer (${scale}):`,
    ...answers.map((answer) => `${answer}: ${input.linkFor(answer)}`),
    '',
    'One click is all it takes; you can add a comment on the page that opens.',
    '',
    `Thank you, the ${input.companyName} team`,
  ].join('\n');
  const buttons = answers
    .map(
      (answer) =>
        `<td style="padding:2px"><a href="${escapeHtml(input.linkFor(answer))}" style="display:inline-block;min-width:28px;padding:8px 4px;border:1px solid #888;border-radius:4px;text-align:center;text-decoration:none;color:#222">${answer}</a></td>`,
    )
    .join('');
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    `<p style="font-size:16px"><strong>${escapeHtml(survey.question)}</strong></p>`,
    `<table role="presentation" style="border-collapse:collapse"><tr>${buttons}</tr></table>`,
    `<p style="font-size:12px;color:#666">${escapeHtml(scale)}</p>`,
    '<p>One click is all it takes; you can add a comment on the page that opens.</p>',
    `<p>Thank you, the ${escapeHtml(input.companyName)} team</p>`,
  ].join('');
  return { subject: survey.subject ?? survey.question, text, html };
}
