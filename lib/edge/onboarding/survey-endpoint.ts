import { DomainError, parseOrThrow } from '../../model/errors.js';
import { SCALE_LABELS, surveyAnswers } from '../../onboarding/compose-survey.js';
import { recordSurveyAnswer, surveyBeingAnswered } from '../../onboarding/record-survey-answer.js';
import { type SurveyTokenPayload, verifySurveyToken } from '../../onboarding/survey-token.js';
import { config } from '../../util/config.js';
import { escapeHtml } from '../../util/html.js';
import { log } from '../../util/log.js';
import { cleanText } from '../../util/text.js';
import { decodeUtf8, parseJson, parseUrlEncoded } from '../http/body.js';
import { type HttpRequest, mediaType, method, queryParameters, rawBody } from '../http/request.js';
import { type HttpResponse, html } from '../http/response.js';
import { MAX_SURVEY_BODY_BYTES, surveyAnswerBodySchema } from './survey-schemas.js';

const REFUSED = {
  malformed: [400, 'This survey link is not valid', 'The link may have been cut short by your mail program.'],
  forged: [400, 'This survey link is not valid', 'The link may have been cut short by your mail program.'],
  expired: [410, 'This survey has closed', 'Thank you all the same: the link was open for a few weeks.'],
} as const;

/**
 * GET and POST /v1/survey?token=... (public). GET shows the question with the link's answer selected and a box
 * for a comment, and records nothing: mail scanners and previews follow links. POST records the answer once per
 * survey sent (again: the answer and comment are replaced); the signed token is the only authority.
 */
export async function handleSurvey(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const token = queryParameters(event).token ?? '';
  const checked = verifySurveyToken(token, config.SURVEY_SECRETS, now);
  if (!checked.ok) {
    const [status, title, text] = REFUSED[checked.reason];
    return page(status, title, `<p>${text}</p>`);
  }
  const send = checked.payload;
  try {
    if (method(event) !== 'POST') return await answerPage(send, token);
    const body = parseOrThrow(surveyAnswerBodySchema, parseBody(event));
    const comment = body.comment === undefined ? undefined : cleanText(body.comment, 2000);
    const recorded = await recordSurveyAnswer(send, { answer: body.answer ?? send.answer, comment }, now);
    log.info('survey answered', {
      prospectId: send.prospectId,
      sequenceId: send.sequenceId,
      stepId: send.stepId,
      status: recorded.status,
    });
    return page(
      200,
      'Thank you',
      `<p>Your answer (${recorded.answer}) is recorded${recorded.status === 'replaced' ? ', in place of the one before' : ''}. You can change it with the same link while the survey is open.</p>`,
    );
  } catch (error) {
    if (!(error instanceof DomainError) || error.code === 'throttled') throw error;
    if (error.code === 'not-found')
      return page(404, 'This survey is not known', '<p>The link does not belong to a survey we sent.</p>');
    const problems = error.errors.map((item) => `${item.field} ${item.message}`).join('; ');
    return page(400, 'The answer could not be recorded', `<p>${escapeHtml(problems || error.message)}</p>`);
  }
}

function parseBody(event: HttpRequest): unknown {
  const bytes = rawBody(event, MAX_SURVEY_BODY_BYTES);
  const text = decodeUtf8(bytes);
  if (mediaType(event) === 'application/json') return text.trim() ? parseJson(text) : {};
  const fields = parseUrlEncoded(text);
  const first = (name: string) => {
    const value = fields[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    ...(first('answer') ? { answer: first('answer') } : {}),
    ...(first('comment') !== undefined ? { comment: first('comment') } : {}),
  };
}

async function answerPage(send: SurveyTokenPayload, token: string): Promise<HttpResponse> {
  const { survey, response } = await surveyBeingAnswered(send);
  const labels = SCALE_LABELS[survey.kind];
  const options = surveyAnswers(survey.kind)
    .map(
      (answer) =>
        `<label style="display:inline-block;margin:2px;padding:6px 8px;border:1px solid #aaa;border-radius:4px"><input type="radio" name="answer" value="${answer}"${answer === send.answer ? ' checked' : ''}> ${answer}</label>`,
    )
    .join('');
  const action = `/v1/survey?token=${encodeURIComponent(token)}`;
  return page(
    200,
    survey.question,
    `<form method="post" action="${escapeHtml(action)}"><fieldset style="border:none;padding:0"><legend style="margin-bottom:8px">${escapeHtml(labels.low)} to ${escapeHtml(labels.high.toLowerCase())}</legend>${options}</fieldset><p><label for="comment">${escapeHtml(survey.commentPrompt)}</label><br><textarea id="comment" name="comment" rows="5" maxlength="2000" style="width:100%">${escapeHtml(response?.comment ?? '')}</textarea></p><p><button type="submit">Send my answer</button></p></form>${response ? `<p style="color:#666">You answered ${response.answer} before; sending again replaces it.</p>` : ''}`,
  );
}

function page(statusCode: number, title: string, body: string): HttpResponse {
  return html(
    statusCode,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem"><h1 style="font-size:1.4rem">${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}
