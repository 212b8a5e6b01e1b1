import { recentTrackEvents } from '../store/touchpoints.js';
import type { SkipCondition } from './sequence.js';

/** How many of a prospect's latest touchpoints are read for goals, churn and skip-if events. */
export const RECENT_TOUCHPOINTS = 200;

/**
 * Goals and churn count from enrollment on: the track events since then (at most RECENT_TOUCHPOINTS, newest).
 * A skip-if on events ("has done") looks at the latest RECENT_TOUCHPOINTS whenever they happened, and is read
 * only for a step that has one. Both are one bounded Query, whatever the history's length.
 */
export async function recentActivity(prospectId: string, enrolledAt: string, stepUsesEvents: boolean) {
  const since = await recentTrackEvents(prospectId, { since: enrolledAt, limit: RECENT_TOUCHPOINTS });
  const eventsSinceEnrollment = new Set(since.map((event) => event.name));
  const events = stepUsesEvents
    ? new Set((await recentTrackEvents(prospectId, { limit: RECENT_TOUCHPOINTS })).map((event) => event.name))
    : eventsSinceEnrollment;
  const churned = [...eventsSinceEnrollment].some((name) => /^churned$/i.test(name));
  return { events, eventsSinceEnrollment, churned };
}

export function usesEvents(condition: SkipCondition | undefined): boolean {
  if (!condition) return false;
  const leaves =
    'any' in condition
      ? condition.any
      : 'all' in condition
        ? condition.all
        : 'not' in condition
          ? [condition.not]
          : [condition];
  return leaves.some((leaf) => 'event' in leaf);
}
