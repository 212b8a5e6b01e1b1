import { dueForRecheck } from '../store/scores.js';
import { log } from '../util/log.js';
import { recheckScores } from './apply-scores.js';

/**
 * Re-checks every score whose re-check is due: qualified prospects whose engagement has decayed to dropAt, and
 * qualifications still to be announced. Reads only the sparse due index, never the prospects that are not due.
 */
export async function recheckDueScores(
  now: Date,
  deadline: number,
): Promise<{ checked: number; changed: number }> {
  let checked = 0;
  let changed = 0;
  for await (const prospectId of dueForRecheck(now)) {
    if (Date.now() >= deadline) break;
    checked++;
    if ((await recheckScores(prospectId, now)) === 'changed') changed++;
  }
  if (checked) log.info('scores re-checked', { checked, changed });
  return { checked, changed };
}
