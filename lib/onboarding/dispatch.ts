/**
 * Sends the onboarding steps that are due, at most once each, then breaks the expectations whose deadline
 * passed.
 *
 * Rules:
 * - At most once: a step is sent only by the holder of its claim (one conditional transaction: the send record,
 *   the enrollment still at that step, the address still not suppressed), and a claim is never taken over.
 * - Crash rule: a claim with no outcome after SEND_LEASE_SECONDS (the dispatcher died between sending and
 *   recording) is marked `abandoned` and the enrollment moves on; the step is never re-sent (taken-claim.ts).
 * - Failed sends are retried, given up or end the run by the failure policy (send-failure.ts).
 */
import { dueEnrollments } from '../store/due-enrollments.js';
import { log } from '../util/log.js';
import type { DispatchOutcome, StepSender } from './dispatch-outcome.js';
import { dispatchStep } from './dispatch-step.js';
import { breakDueExpectations } from './expectation-sweep.js';
import { ProviderUnavailableError } from './send-failure.js';

export type DispatchResult = Record<DispatchOutcome | 'errors', number> & {
  /** Entries read from the due index. */
  due: number;
  /** Expectations whose deadline passed without a response, marked broken by this run. */
  expectationsBroken: number;
  /** Query pages read from the due index (one per shard when nothing is due). */
  indexQueries: number;
  stoppedBy?: string;
};

export type DispatchOptions = StepSender & {
  /** Epoch ms after which no new enrollment is started (the Lambda's remaining time, less a margin). */
  deadline?: number;
};

export async function dispatchOnboarding(now: Date, options: DispatchOptions): Promise<DispatchResult> {
  const result: DispatchResult = {
    due: 0,
    indexQueries: 0,
    sent: 0,
    skipped: 0,
    exited: 0,
    rejected: 0,
    retried: 0,
    failed: 0,
    abandoned: 0,
    rescheduled: 0,
    completed: 0,
    busy: 0,
    'not-due': 0,
    errors: 0,
    expectationsBroken: 0,
  };
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const entries = dueEnrollments(now, {
    onPage: () => {
      result.indexQueries++;
    },
  });
  for await (const entry of entries) {
    if (Date.now() >= deadline) break;
    result.due++;
    try {
      result[await dispatchStep(entry, now, options)]++;
    } catch (error) {
      if (error instanceof ProviderUnavailableError) {
        result[error.outcome]++;
        result.stoppedBy = error.message;
        break;
      }
      // One broken enrollment must not hold up the others; it stays due and is tried again next run.
      result.errors++;
      log.error('onboarding step failed', {
        prospectId: entry.prospectId,
        sequenceId: entry.sequenceId,
        error: { name: (error as Error)?.name, message: (error as Error)?.message },
      });
    }
  }
  const expectations = await breakDueExpectations(now, deadline);
  result.expectationsBroken += expectations.broken;
  result.errors += expectations.errors;
  if (result.due || result.stoppedBy || result.expectationsBroken)
    log.info('onboarding dispatched', { ...result });
  return result;
}
