import { endEnrollment, listEnrollments } from '../store/enrollments.js';
import { loadSequenceVersion } from './onboarding-config.js';
import { type MessageCategory, remainingCategories } from './sequence.js';

/**
 * Ends the active enrollments that have nothing left to send but mail of `category` (every active one for
 * `all`): after an unsubscribe from marketing, a sequence of transactional steps still goes on, and its marketing
 * steps are passed over when they fall due. How many were ended.
 */
export async function endEnrollmentsOnlyOf(
  prospectId: string,
  category: MessageCategory | 'all',
  reason: string,
  now: Date,
): Promise<number> {
  let ended = 0;
  for (const enrollment of await listEnrollments(prospectId, true)) {
    if (enrollment.status !== 'active') continue;
    if (category !== 'all') {
      const sequence = await loadSequenceVersion(enrollment.sequenceId, enrollment.sequenceVersion);
      const left = sequence ? remainingCategories(sequence, enrollment.stepIndex) : new Set([category]);
      if ([...left].some((kind) => kind !== category)) continue;
    }
    if (await endEnrollment(prospectId, enrollment.sequenceId, 'exited', reason, now)) ended++;
  }
  return ended;
}
