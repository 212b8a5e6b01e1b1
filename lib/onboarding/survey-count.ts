import type { Touchpoint } from '../model/touchpoint.js';
import type { SurveyResponse, SurveyScored } from '../store/survey-responses.js';

/**
 * How the scorer counts a survey answer (a `survey` touchpoint, first given or changed): `counted` when the
 * revision it carries, or a later one, is counted already (a replay); else the answer it replaces (the one counted
 * before, taken out), and what to record as counted, conditional on what was read.
 */
export type SurveyCount =
  | { counted: true }
  | {
      counted: false;
      replaces: Touchpoint | undefined;
      scored: SurveyScored;
    };

export function surveyCount(
  prospectId: string,
  touchpoint: Touchpoint,
  responses: readonly SurveyResponse[],
): SurveyCount | undefined {
  const { sequenceId, stepId } = touchpoint.properties;
  const kind = touchpoint.name;
  const answer = kind ? touchpoint.properties[kind] : undefined;
  if (typeof sequenceId !== 'string' || typeof stepId !== 'string' || typeof answer !== 'number' || !kind)
    return undefined;
  const response = responses.find((item) => item.sequenceId === sequenceId && item.stepId === stepId);
  // Written with the touchpoint; gone only if the person is being erased.
  if (!response) return undefined;
  const revision = touchpoint.revision ?? 1;
  if ((response.scoredRevision ?? 0) >= revision) return { counted: true };
  return {
    counted: false,
    replaces:
      response.scoredAnswer === undefined
        ? undefined
        : { ...touchpoint, properties: { ...touchpoint.properties, [kind]: response.scoredAnswer } },
    scored: { prospectId, sequenceId, stepId, revision, answer, previousRevision: response.scoredRevision },
  };
}
