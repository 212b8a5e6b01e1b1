import type { EngagementRule, Icp } from '../model/icp.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { globMatch } from './glob.js';

export type SurveyAnswers = { nps?: number; csat?: number };

/** NPS (0-10) and CSAT (1-5) answers a touchpoint carries, from a survey form or a track event's properties. */
export function surveyAnswers(touchpoint: Pick<Touchpoint, 'properties'>): SurveyAnswers {
  const answers: SurveyAnswers = {};
  const nps = touchpoint.properties.nps;
  const csat = touchpoint.properties.csat;
  if (typeof nps === 'number' && Number.isInteger(nps) && nps >= 0 && nps <= 10) answers.nps = nps;
  if (typeof csat === 'number' && Number.isInteger(csat) && csat >= 1 && csat <= 5) answers.csat = csat;
  return answers;
}

/** Touchpoint types that record what the system did, not what the prospect did: they never earn points. */
const SYSTEM_TYPES = new Set(['qualified', 'unqualified']);

export function ruleMatches(rule: EngagementRule, touchpoint: Touchpoint): boolean {
  const { match } = rule;
  if (SYSTEM_TYPES.has(touchpoint.type)) return false;
  if (match.type && match.type !== 'survey' && touchpoint.type !== match.type) return false;
  if (match.form && !(touchpoint.type === 'form' && touchpoint.name === match.form)) return false;
  if (match.path && !(touchpoint.page?.path && globMatch(match.path, touchpoint.page.path))) return false;
  if (
    match.event &&
    !(touchpoint.type === 'track' && touchpoint.name && globMatch(match.event, touchpoint.name))
  )
    return false;
  if (match.activity && !(touchpoint.type === 'activity' && touchpoint.name === match.activity)) return false;
  if (match.properties) {
    for (const [key, expected] of Object.entries(match.properties)) {
      const actual = touchpoint.properties[key];
      if (actual === undefined || String(actual).toLowerCase() !== String(expected).toLowerCase())
        return false;
    }
  }
  const answers = surveyAnswers(touchpoint);
  if (match.type === 'survey' && answers.nps === undefined && answers.csat === undefined) return false;
  if (match.survey) {
    const answer = answers[match.survey.kind];
    if (answer === undefined || answer < match.survey.between[0] || answer > match.survey.between[1])
      return false;
  }
  return true;
}

export function matchingRules(icp: Icp, touchpoint: Touchpoint): EngagementRule[] {
  return icp.engagement.rules.filter((rule) => ruleMatches(rule, touchpoint));
}
