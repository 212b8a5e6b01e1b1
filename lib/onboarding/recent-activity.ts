import { recentTouchpointsOf } from '../store/touchpoints.js';
import type { SkipCondition } from './sequence.js';

/** How many of a prospect's latest touchpoints are read for goals, churn and skip-if events. */
export const RECENT_TOUCHPOINTS = 200;

/**
 * Goals, churn and replies count from enrollment on: the track events and email replies since then (at most
 * RECENT_TOUCHPOINTS, newest). A skip-if on events ("has done") looks at the latest RECENT_TOUCHPOINTS whenever
 * they happened, and is read only for a step that has one. Both are one bounded Query, whatever the history's
 * length.
 */
export async function recentActivity(
  prospectId: string,
  enrollment: { enrolledAt: string; sequenceId: string },
  stepUsesEvents: boolean,
) {
  const since = await recentTouchpointsOf(prospectId, {
    since: enrollment.enrolledAt,
    limit: RECENT_TOUCHPOINTS,
    types: ['track', 'email-reply'],
  });
  const tracked = (items: { type: string; name: string }[]) =>
    new Set(items.filter((item) => item.type === 'track').map((item) => item.name));
  const eventsSinceEnrollment = tracked(since);
  const events = stepUsesEvents
    ? tracked(await recentTouchpointsOf(prospectId, { limit: RECENT_TOUCHPOINTS, types: ['track'] }))
    : eventsSinceEnrollment;
  const churned = [...eventsSinceEnrollment].some((name) => /^churned$/i.test(name));
  // A reply names the sequence it answered: only a reply to this one ends it.
  const replied = since.some((item) => item.type === 'email-reply' && item.name === enrollment.sequenceId);
  return { events, eventsSinceEnrollment, churned, replied };
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
