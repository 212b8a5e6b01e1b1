import type { ProspectProfile } from '../model/prospect.js';
import type { ScoreRecord } from '../model/score.js';
import { rankChanges } from '../ranking/rank-changes.js';
import { recheckDueAt } from '../scoring/score-record.js';
import type { ScoreWrite, StoredScore } from '../store/scores.js';

/** Everything a new score writes, as scoring and ranking decide it: the item, its due time, its ranking moves. */
export function scoreWrite(
  previous: StoredScore | undefined,
  record: ScoreRecord,
  profile: ProspectProfile,
  now: Date,
): ScoreWrite {
  return {
    record,
    expectedRev: previous?.rev,
    recheckDueAt: recheckDueAt(record),
    ...rankChanges(previous, record, profile, now),
  };
}
