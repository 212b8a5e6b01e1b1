/**
 * What a failed send means for the step and the run:
 * - A final refusal (invalid address, 5xx) fails the step and ends the enrollment with the reason; it does
 *   not suppress the address (only bounces and complaints do).
 * - A transient one (throttling, 4xx, unreachable) releases the claim for a retry with exponential backoff and
 *   full jitter; after MAX_SEND_ATTEMPTS the step is given up (`failed`, with the reason) and the sequence goes
 *   on. One that concerns the whole provider (421, throttled account, connection refused) ends the run.
 */
import { isMailError, MailRejectedError, MailRetryableError } from '../mail/index.js';
import { advanceEnrollment, type Enrollment, releaseForRetry } from '../store/enrollments.js';
import { getSendRecord } from '../store/send-records.js';
import { config } from '../util/config.js';
import { log } from '../util/log.js';
import type { DispatchOutcome } from './dispatch-outcome.js';
import { advanced } from './enrollment-progress.js';
import { noteIfNothingSent } from './onboarding-skip.js';
import type { Sequence } from './sequence.js';

const MAX_RETRY_DELAY_MS = 6 * 3_600_000;

/** The provider refuses everything for now: the step's own outcome is recorded, the run stops. */
export class ProviderUnavailableError extends Error {
  constructor(
    reason: string,
    readonly outcome: DispatchOutcome,
  ) {
    super(reason);
    this.name = 'ProviderUnavailableError';
  }
}

export async function recordSendFailure(
  enrollment: Enrollment,
  sequence: Sequence,
  stepId: string,
  claimToken: string,
  error: unknown,
  now: Date,
  random: () => number,
): Promise<DispatchOutcome> {
  // A plain Error from the adapter is our own mistake (a From or header it refuses): every send would fail.
  const failure = isMailError(error)
    ? error
    : new MailRetryableError(`mail could not be composed: ${(error as Error)?.message ?? 'unknown'}`, true);
  const ids = { prospectId: enrollment.prospectId, sequenceId: enrollment.sequenceId, stepId };
  const at = now.toISOString();
  if (failure instanceof MailRejectedError) {
    const reason = `rejected: ${failure.reason}`;
    const next: Enrollment = {
      ...advanced(enrollment, sequence, now, { stepId, status: 'failed', at, reason }),
      status: 'exited',
      reason,
    };
    delete next.nextDueAt;
    const outcome = await advanceEnrollment(next, enrollment.stepIndex, {
      stepId,
      claimToken,
      status: 'failed',
      reason,
    });
    if (outcome === 'advanced') await noteIfNothingSent(enrollment, { code: 'send-failed', reason }, now);
    log.warn('onboarding mail rejected', ids);
    return 'rejected';
  }
  const record = await getSendRecord(enrollment.prospectId, enrollment.sequenceId, stepId);
  const attempts = record?.attempts ?? 1;
  let outcome: DispatchOutcome;
  if (attempts >= config.MAX_SEND_ATTEMPTS) {
    const reason = `gave up after ${attempts} attempts: ${failure.reason}`;
    const next = advanced(enrollment, sequence, now, { stepId, status: 'failed', at, reason, attempts });
    await advanceEnrollment(next, enrollment.stepIndex, { stepId, claimToken, status: 'failed', reason });
    outcome = 'failed';
  } else {
    const retryAt = new Date(now.getTime() + retryDelayMs(attempts, random));
    await releaseForRetry(
      enrollment,
      { stepId, claimToken, status: 'retry', reason: failure.reason },
      retryAt,
      now,
    );
    outcome = 'retried';
  }
  log.warn('onboarding mail deferred', { ...ids, attempts, outcome, providerWide: failure.providerWide });
  if (failure.providerWide) throw new ProviderUnavailableError(failure.reason, outcome);
  return outcome;
}

/** Exponential backoff with full jitter (AWS Architecture Blog, 2015): uniform in [0, base·2^(n-1)], capped. */
export function retryDelayMs(attempts: number, random: () => number): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, config.SEND_RETRY_BASE_SECONDS * 1000 * 2 ** (attempts - 1));
  return Math.floor(random() * ceiling);
}
