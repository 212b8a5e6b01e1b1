/**
 * Recording a survey answer (POST /v1/survey): the one use case that changes anything when a person answers, so
 * that what must happen with an answer (a `survey.answered` event, say) is added to its transaction here.
 *
 * - Once per survey sent: the first answer writes a `survey` touchpoint; a later one replaces the answer and the
 *   comment in place (same touchpoint, next revision), and the scorer swaps the counted answer for it: the survey
 *   counts once, with the answer last given.
 * - Only for a survey that was sent to this person, of this kind (a token bound to anything else is refused).
 */
import { touchpointExpiry } from '../capture/retention.js';
import { InvalidInputError, NotFoundError, ThrottledError } from '../model/errors.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { getEnrollment } from '../store/enrollments.js';
import { getSendRecord } from '../store/send-records.js';
import { getSurveyResponse, type SurveyResponse, writeSurveyAnswer } from '../store/survey-responses.js';
import { sha256Hex } from '../util/crypto.js';
import { withRetries } from '../util/retry.js';
import { loadSequenceVersion } from './onboarding-config.js';
import { SURVEY_SCALES, type Survey } from './sequence.js';
import type { SurveyTokenPayload } from './survey-token.js';

export const MAX_COMMENT_LENGTH = 2000;

type SurveySend = Pick<SurveyTokenPayload, 'prospectId' | 'sequenceId' | 'stepId' | 'kind'>;

/** The survey a token asks, and the answer already given to it; NotFoundError when no such survey was sent. */
export async function surveyBeingAnswered(
  send: SurveySend,
): Promise<{ survey: Survey; response: SurveyResponse | undefined }> {
  const [record, enrollment, response] = await Promise.all([
    getSendRecord(send.prospectId, send.sequenceId, send.stepId),
    getEnrollment(send.prospectId, send.sequenceId),
    getSurveyResponse(send.prospectId, send.sequenceId, send.stepId),
  ]);
  // A token for a survey never sent to this person, or of another kind, is not one of ours to honour.
  if (record?.status !== 'sent' || record.surveyKind !== send.kind || !enrollment)
    throw new NotFoundError('No such survey was sent');
  const sequence = await loadSequenceVersion(send.sequenceId, enrollment.sequenceVersion);
  const survey = sequence?.steps.find((step) => step.id === send.stepId)?.survey;
  if (!survey || survey.kind !== send.kind) throw new NotFoundError('No such survey was sent');
  return { survey, response };
}

export type RecordedAnswer = { status: 'recorded' | 'replaced'; revision: number; answer: number };

export async function recordSurveyAnswer(
  send: SurveySend,
  given: { answer: number; comment?: string | undefined },
  now: Date,
): Promise<RecordedAnswer> {
  const scale = SURVEY_SCALES[send.kind];
  if (!Number.isInteger(given.answer) || given.answer < scale.min || given.answer > scale.max)
    throw new InvalidInputError([
      { field: 'answer', message: `must be a whole number from ${scale.min} to ${scale.max}` },
    ]);
  const comment = given.comment?.trim() ? given.comment.trim().slice(0, MAX_COMMENT_LENGTH) : undefined;
  return withRetries(
    async () => {
      const { response: previous } = await surveyBeingAnswered(send);
      const revision = (previous?.revision ?? 0) + 1;
      const at = now.toISOString();
      const firstAnsweredAt = previous?.firstAnsweredAt ?? at;
      const touchpoint: Touchpoint = {
        // Derived from the send: every answer to this survey is the same touchpoint.
        eventId: sha256Hex(`survey|${send.prospectId}|${send.sequenceId}|${send.stepId}`).slice(0, 24),
        type: 'survey',
        source: 'survey',
        name: send.kind,
        occurredAt: firstAnsweredAt,
        receivedAt: at,
        revision,
        properties: {
          [send.kind]: given.answer,
          ...(comment ? { comment } : {}),
          sequenceId: send.sequenceId,
          stepId: send.stepId,
          answeredAt: at,
        },
      };
      const outcome = await writeSurveyAnswer({
        response: { ...send, answer: given.answer, comment, firstAnsweredAt, answeredAt: at, revision },
        touchpoint,
        touchpointExpiresAt: touchpointExpiry(touchpoint),
      });
      if (outcome === 'gone') throw new NotFoundError('No such survey was sent');
      if (outcome === 'conflict') return undefined;
      return { status: revision === 1 ? 'recorded' : 'replaced', revision, answer: given.answer } as const;
    },
    { attempts: 4, failure: 'The answer kept changing concurrently' },
  ).catch((error: unknown) => {
    if (error instanceof Error && error.message === 'The answer kept changing concurrently')
      throw new ThrottledError('The answer is being changed concurrently; retry shortly');
    throw error;
  });
}
