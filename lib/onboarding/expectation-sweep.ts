import {
  breakExpectation,
  type DueExpectation,
  dueExpectations,
  getExpectation,
} from '../store/expectations.js';
import { log } from '../util/log.js';
import { withRetries } from '../util/retry.js';
import { expectationCounters } from './expectation-counters.js';

/**
 * Marks broken every open expectation whose deadline passed by `now`, until `deadline` (epoch ms). Needs no
 * mail provider, so it runs even when the provider stopped the sends. One that fails stays in the due index
 * and is tried again next run.
 */
export async function breakDueExpectations(
  now: Date,
  deadline: number,
): Promise<{ broken: number; errors: number }> {
  let broken = 0;
  let errors = 0;
  for await (const due of dueExpectations(now)) {
    if (Date.now() >= deadline) break;
    try {
      if (await breakIfDue(due, now)) broken++;
    } catch (error) {
      errors++;
      log.error('expectation check failed', {
        prospectId: due.prospectId,
        sequenceId: due.sequenceId,
        error: { name: (error as Error)?.name, message: (error as Error)?.message },
      });
    }
  }
  return { broken, errors };
}

/**
 * An expectation whose deadline passed: broken, unless a response kept it meanwhile (the index lags the table).
 * The write is conditional on it still being open, so a concurrent run or a late response decides it once.
 */
async function breakIfDue(due: DueExpectation, now: Date): Promise<boolean> {
  return withRetries(
    async () => {
      const expectation = await getExpectation(due.prospectId, due.sequenceId, due.expectationId);
      if (expectation?.status !== 'open' || Date.parse(expectation.deadline) >= now.getTime()) return false;
      const outcome = await breakExpectation(
        expectation,
        now,
        expectationCounters([{ ...expectation, count: 'broken' }]),
      );
      // On a conflict a response or another run holds the item: whoever committed decided it; look again.
      return outcome === 'conflict' ? undefined : outcome === 'broken';
    },
    { attempts: 3, baseMs: 50, failure: 'the expectation kept changing concurrently' },
  );
}
