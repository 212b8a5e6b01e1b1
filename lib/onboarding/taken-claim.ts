import { advanceEnrollment, type Enrollment } from '../store/enrollments.js';
import type { SendRecord } from '../store/send-records.js';
import { config } from '../util/config.js';
import { log } from '../util/log.js';
import type { DispatchOutcome } from './dispatch-outcome.js';
import { advanced } from './enrollment-progress.js';
import type { Sequence } from './sequence.js';

/**
 * The step is claimed already, by `record`. A live claim belongs to another run; one older than the lease was
 * left by a run that died between sending and recording, and is abandoned without sending (the crash rule: the
 * step may well have gone out, and missing one onboarding email is better than sending it twice). An outcome
 * that is recorded while the enrollment did not move on cannot happen (both are one transaction) but is
 * repaired all the same.
 */
export async function resolveTakenClaim(
  enrollment: Enrollment,
  sequence: Sequence,
  stepId: string,
  record: SendRecord,
  now: Date,
): Promise<DispatchOutcome> {
  if (record.status === 'claimed') {
    const claimedAt = Date.parse(record.claimedAt ?? '');
    if (now.getTime() - claimedAt < config.SEND_LEASE_SECONDS * 1000) return 'busy';
    const reason = `claimed at ${record.claimedAt} without an outcome (dispatcher crashed?); not re-sent`;
    const next = advanced(enrollment, sequence, now, {
      stepId,
      status: 'abandoned',
      at: now.toISOString(),
      reason,
    });
    const outcome = await advanceEnrollment(next, enrollment.stepIndex, {
      stepId,
      claimToken: record.claimToken ?? '',
      status: 'abandoned',
      reason,
    });
    if (outcome === 'moved') return 'busy';
    log.warn('onboarding step abandoned', {
      prospectId: enrollment.prospectId,
      sequenceId: enrollment.sequenceId,
      stepId,
    });
    return 'abandoned';
  }
  if (record.status === 'retry') return 'busy';
  const status = record.status === 'sent' ? 'sent' : record.status === 'failed' ? 'failed' : 'abandoned';
  const next = advanced(enrollment, sequence, now, {
    stepId,
    status,
    at: record.sentAt ?? now.toISOString(),
    ...(record.providerMessageId ? { providerMessageId: record.providerMessageId } : {}),
  });
  await advanceEnrollment(next, enrollment.stepIndex, undefined);
  return 'busy';
}
