import type { Grade } from '../model/icp.js';
import { GRADE_DIGIT } from '../model/ranking.js';
import type { DecayedSum } from '../model/score.js';
import { netLog } from './decay.js';

/**
 * The ranking index sort key: grade first (A highest), then the forward-decayed net engagement sum, then the
 * prospect id as a tie-break. Plain string order equals ranking order, so a descending Query is the ranked list,
 * at any time: current engagement is the stored sum times a factor common to every prospect of the ICP.
 */
// log2 of the sum lies well inside +-2^20 (that would be a million half-lives after 2025).
const LOG_OFFSET = 2 ** 20;
// 1e9 steps per unit of log2: values closer than a relative 7e-10 may tie (then the prospect id decides).
const LOG_SCALE = 1e9;
const WIDTH = 16;
const MAX_MAGNITUDE = 2 * LOG_OFFSET * LOG_SCALE;

export function engagementKey(sum: DecayedSum): string {
  const { sign, log } = netLog(sum);
  if (sign === 0) return `1${'0'.repeat(WIDTH)}`;
  const clamped = Math.min(Math.max(log, -LOG_OFFSET), LOG_OFFSET - 1 / LOG_SCALE);
  const magnitude = Math.round((clamped + LOG_OFFSET) * LOG_SCALE);
  // Positive sums sort by magnitude; negative ones in reverse, below zero.
  return sign > 0
    ? `2${String(magnitude).padStart(WIDTH, '0')}`
    : `0${String(MAX_MAGNITUDE - magnitude).padStart(WIDTH, '0')}`;
}

export function rankSortKey(grade: Grade, sum: DecayedSum, prospectId: string): string {
  return `${GRADE_DIGIT[grade]}#${engagementKey(sum)}#${prospectId}`;
}
