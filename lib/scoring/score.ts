import type { Icp } from '../model/icp.js';
import type { EngagementState, FitResult, LedgerEntry } from '../model/score.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { addPoints, valueAt, ZERO_SUM } from './decay.js';
import { matchingRules, surveyAnswers } from './engagement.js';

/** Days of per-rule daily counts kept: enough for daily caps and "this week" in explanations. */
export const LEDGER_DAYS = 8;
const DAY_MS = 86_400_000;

export const EMPTY_STATE: EngagementState = {
  engagement: ZERO_SUM,
  ledger: {},
  touchpointsApplied: 0,
  experience: {},
};

/**
 * Folds one touchpoint in: O(number of rules), independent of the prospect's history. Order-independent for the
 * engagement sum (forward decay is a plain sum), so late and out-of-order touchpoints are exact. Daily caps are
 * exact within the last LEDGER_DAYS days of touchpoint time; a touchpoint older than that earns its points uncapped.
 *
 * `replaces`: the earlier version of the same touchpoint (a survey answer the person changed), whose points are
 * taken out at the time they were earned before the new version's go in, so the answer counts once. Its daily-cap
 * place is the new version's: a changed answer is not a second answer that day.
 */
export function applyTouchpoint(
  state: EngagementState,
  icp: Icp,
  touchpoint: Touchpoint,
  replaces?: Touchpoint,
): EngagementState {
  const atMs = Date.parse(touchpoint.occurredAt);
  const day = touchpoint.occurredAt.slice(0, 10);
  let engagement = state.engagement;
  const ledger = { ...state.ledger };
  const entryOf = (rule: { id: string; reason: string }) =>
    ledger[rule.id]
      ? { ...ledger[rule.id]!, days: { ...ledger[rule.id]!.days } }
      : { reason: rule.reason, sum: ZERO_SUM, count: 0, capped: 0, lastAt: touchpoint.occurredAt, days: {} };
  if (replaces) {
    const replacedAtMs = Date.parse(replaces.occurredAt);
    const replacedDay = replaces.occurredAt.slice(0, 10);
    for (const rule of matchingRules(icp, replaces)) {
      const entry: LedgerEntry = entryOf(rule);
      entry.sum = addPoints(entry.sum, -rule.points, replacedAtMs, icp.halfLifeDays);
      engagement = addPoints(engagement, -rule.points, replacedAtMs, icp.halfLifeDays);
      entry.count = Math.max(0, entry.count - 1);
      if (entry.days[replacedDay]) entry.days[replacedDay] -= 1;
      ledger[rule.id] = entry;
    }
  }
  for (const rule of matchingRules(icp, touchpoint)) {
    const entry: LedgerEntry = entryOf(rule);
    entry.reason = rule.reason;
    const today = entry.days[day] ?? 0;
    const capped = rule.capPerDay !== undefined && today >= rule.capPerDay;
    if (capped) entry.capped++;
    else {
      entry.sum = addPoints(entry.sum, rule.points, atMs, icp.halfLifeDays);
      engagement = addPoints(engagement, rule.points, atMs, icp.halfLifeDays);
    }
    entry.count++;
    entry.days[day] = today + 1;
    if (touchpoint.occurredAt > entry.lastAt) entry.lastAt = touchpoint.occurredAt;
    entry.days = recentDays(entry.days);
    ledger[rule.id] = entry;
  }
  const experience = { ...state.experience };
  const answers = surveyAnswers(touchpoint);
  const replacedAnswers = replaces ? surveyAnswers(replaces) : {};
  for (const kind of ['nps', 'csat'] as const) {
    const answer = answers[kind];
    if (answer === undefined) continue;
    if (replacedAnswers[kind] === undefined) experience.surveyAnswers = (experience.surveyAnswers ?? 0) + 1;
    if (!experience[kind] || experience[kind]!.at <= touchpoint.occurredAt)
      experience[kind] = { score: answer, at: touchpoint.occurredAt };
  }
  return {
    engagement,
    ledger,
    touchpointsApplied: state.touchpointsApplied + (replaces ? 0 : 1),
    lastTouchpointAt:
      !state.lastTouchpointAt || touchpoint.occurredAt > state.lastTouchpointAt
        ? touchpoint.occurredAt
        : state.lastTouchpointAt,
    experience,
  };
}

function recentDays(days: Record<string, number>): Record<string, number> {
  const keys = Object.keys(days).sort();
  return Object.fromEntries(keys.slice(-LEDGER_DAYS).map((key) => [key, days[key]!]));
}

export function engagementAt(state: EngagementState, icp: Icp, nowMs: number): number {
  return Math.max(0, valueAt(state.engagement, nowMs, icp.halfLifeDays));
}

/** Qualification with hysteresis: qualify at or above qualifyAt, drop only below dropAt (or out of the grades). */
export function nextQualification(qualified: boolean, fit: FitResult, engagement: number, icp: Icp): boolean {
  const gradeAllowed = !fit.disqualifiedBy && icp.qualification.grades.includes(fit.grade);
  if (!gradeAllowed) return false;
  return qualified ? engagement >= icp.qualification.dropAt : engagement >= icp.qualification.qualifyAt;
}

export type ExplanationLine = {
  kind: 'fit' | 'engagement' | 'disqualifier' | 'experience';
  ruleId?: string;
  text: string;
  points: number;
};

/** The first occurrences the wait for a first response is measured by (a score record's milestones). */
export type ResponseMilestones = { firstFormAt?: string; firstFormId?: string; firstResponseAt?: string };

/**
 * "Why": the fit contributions and the largest engagement contributions, in plain words, with points now; then
 * the prospect's experience of us: the wait for a first response (as of `nowMs` while it lasts), survey answers.
 */
export function explain(
  state: EngagementState,
  fit: FitResult,
  icp: Icp,
  nowMs: number,
  options: { milestones?: ResponseMilestones | undefined; limit?: number } = {},
): ExplanationLine[] {
  const { milestones, limit = 8 } = options;
  const lines: ExplanationLine[] = [];
  if (fit.disqualifiedBy)
    lines.push({ kind: 'disqualifier', text: `Disqualified: ${fit.disqualifiedBy}`, points: 0 });
  for (const contribution of fit.contributions) {
    lines.push({
      kind: 'fit',
      ruleId: contribution.ruleId,
      text: `${contribution.reason}: ${signed(contribution.points)}`,
      points: contribution.points,
    });
  }
  const weekAgo = new Date(nowMs - 7 * DAY_MS).toISOString().slice(0, 10);
  const engagementLines = Object.entries(state.ledger)
    .map(([ruleId, entry]) => {
      const now = Math.round(valueAt(entry.sum, nowMs, icp.halfLifeDays));
      const thisWeek = Object.entries(entry.days)
        .filter(([day]) => day > weekAgo)
        .reduce((total, [, count]) => total + count, 0);
      const when =
        thisWeek > 0
          ? `${times(thisWeek)} this week`
          : `${times(entry.count)}, last on ${entry.lastAt.slice(0, 10)}`;
      const cappedNote = entry.capped ? `, ${entry.capped} over the daily cap` : '';
      return {
        kind: 'engagement' as const,
        ruleId,
        text: `${entry.reason} (${when}${cappedNote}): ${signed(now)}`,
        points: now,
      };
    })
    .filter((line) => line.points !== 0)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  lines.push(...engagementLines.slice(0, Math.max(0, limit - lines.length)));
  const waiting = responseLine(milestones, nowMs);
  if (waiting) lines.push(waiting);
  if (state.experience.nps)
    lines.push({
      kind: 'experience',
      text: `Answered NPS ${state.experience.nps.score} on ${state.experience.nps.at.slice(0, 10)}`,
      points: 0,
    });
  if (state.experience.csat)
    lines.push({
      kind: 'experience',
      text: `Rated satisfaction ${state.experience.csat.score}/5 on ${state.experience.csat.at.slice(0, 10)}`,
      points: 0,
    });
  return lines;
}

/** The wait from the first form submission to the first sales response, or until now while there is none. */
function responseLine(
  milestones: ResponseMilestones | undefined,
  nowMs: number,
): ExplanationLine | undefined {
  if (!milestones?.firstFormAt) return undefined;
  const since = Date.parse(milestones.firstFormAt);
  // Form ids name what was asked for (`demo-request`): as words they read as the request.
  const what = milestones.firstFormId
    ? milestones.firstFormId.replace(/[-_]+/g, ' ')
    : 'first form submission';
  if (milestones.firstResponseAt) {
    const waited = duration(Date.parse(milestones.firstResponseAt) - since);
    return { kind: 'experience', text: `Waited ${waited} for a first response after the ${what}`, points: 0 };
  }
  const waiting = duration(nowMs - since);
  return { kind: 'experience', text: `Waiting ${waiting} for a first response since the ${what}`, points: 0 };
}

/** Whole units, rounded down, so a wait never reads longer than it was: `45 min`, `5 h`, `2 days`. */
export function duration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** Points as the explanations write them: `+24`, `-30`. */
export function signed(points: number): string {
  return points >= 0 ? `+${points}` : `${points}`;
}

function times(count: number): string {
  return count === 1 ? 'once' : `${count} times`;
}
