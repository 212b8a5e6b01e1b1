import { randomUUID } from 'node:crypto';
import type { ProspectProfile } from '../model/prospect.js';
import { segmentsOf } from '../scoring/fit.js';
import { loadSegments } from '../scoring/scoring-config.js';
import type { DueEntry } from '../store/due-enrollments.js';
import {
  advanceEnrollment,
  endEnrollment,
  getEnrollment,
  rescheduleEnrollment,
} from '../store/enrollments.js';
import { getProfile } from '../store/profiles.js';
import { claimStep } from '../store/send-records.js';
import { getSuppression } from '../store/suppressions.js';
import type { DispatchOutcome, StepSender } from './dispatch-outcome.js';
import { advanced, finished } from './enrollment-progress.js';
import { loadSequenceVersion } from './onboarding-config.js';
import { recentActivity, usesEvents } from './recent-activity.js';
import { nextSendTime } from './schedule.js';
import { sendClaimedStep } from './send-step.js';
import { exitReason, skipStep } from './sequence.js';
import { resolveTakenClaim } from './taken-claim.js';

/**
 * One due enrollment: re-read it, the profile and the suppression list (consistent reads); end it if the
 * address is suppressed, consent is missing, or an exit condition holds; wait for the send window; skip the
 * step if its skip-if holds; else claim the step and send it.
 */
export async function dispatchStep(entry: DueEntry, now: Date, sender: StepSender): Promise<DispatchOutcome> {
  const enrollment = await getEnrollment(entry.prospectId, entry.sequenceId);
  // The index is eventually consistent: the entry may be older than the enrollment.
  if (enrollment?.status !== 'active' || !enrollment.nextDueAt) return 'not-due';
  if (Date.parse(enrollment.nextDueAt) > now.getTime()) return 'not-due';
  const { prospectId, sequenceId } = enrollment;
  const end = async (status: 'exited' | 'failed', reason: string): Promise<DispatchOutcome> => {
    await endEnrollment(prospectId, sequenceId, status, reason, now);
    return status === 'exited' ? 'exited' : 'failed';
  };

  const sequence = await loadSequenceVersion(sequenceId, enrollment.sequenceVersion);
  if (!sequence) return end('failed', `sequence ${sequenceId} version ${enrollment.sequenceVersion} is gone`);
  const step = sequence.steps[enrollment.stepIndex];
  if (!step) {
    await advanceEnrollment(finished(enrollment, now), enrollment.stepIndex, undefined);
    return 'completed';
  }

  // Who may be mailed is decided now, at send time, not at enrollment.
  const recipient = await mailableRecipient(prospectId);
  if (typeof recipient === 'string') return end('exited', recipient);

  const recent = await recentActivity(prospectId, enrollment.enrolledAt, usesEvents(step.skipIf));
  const exit = exitReason(sequence.exitOn, {
    unsubscribed: false,
    churned: recent.churned,
    events: recent.eventsSinceEnrollment,
  });
  if (exit) return end('exited', exit === 'goal' ? 'goal reached' : exit);

  const sendAt = nextSendTime(now, sequence.sendWindow, enrollment.timezone);
  if (sendAt.getTime() > now.getTime()) {
    await rescheduleEnrollment(enrollment, sendAt, now);
    return 'rescheduled';
  }

  const facts = {
    traits: recipient,
    plan: enrollment.plan,
    events: recent.events,
    segments: step.skipIf ? segmentsOf(await loadSegments(), recipient) : [],
  };
  if (skipStep(step.skipIf, facts)) {
    const next = advanced(enrollment, sequence, now, {
      stepId: step.id,
      status: 'skipped',
      at: now.toISOString(),
    });
    await advanceEnrollment(next, enrollment.stepIndex, undefined);
    return 'skipped';
  }

  const claimToken = randomUUID();
  const claim = await claimStep({
    prospectId,
    sequenceId,
    stepId: step.id,
    stepIndex: enrollment.stepIndex,
    emailHash: recipient.emailHash,
    token: claimToken,
    now,
  });
  if (claim === 'moved') return 'busy';
  if (claim === 'suppressed') return end('exited', 'address suppressed');
  if (claim === 'not-mailable') return end('exited', 'consent withdrawn or the prospect erased meanwhile');
  if (claim !== 'claimed') return resolveTakenClaim(enrollment, sequence, step.id, claim.taken, now);
  return sendClaimedStep({ enrollment, sequence, step, profile: recipient, claimToken }, now, sender);
}

/** The profile if its owner may be mailed now, else why not. */
async function mailableRecipient(
  prospectId: string,
): Promise<(ProspectProfile & { email: string; emailHash: string }) | string> {
  const profile = await getProfile(prospectId, true);
  if (!profile || profile.mergedInto)
    return profile?.mergedInto ? 'the prospect was merged into another' : 'the prospect is gone';
  const { email, emailHash } = profile;
  if (!email || !emailHash) return 'no email address';
  const suppression = await getSuppression(emailHash);
  if (suppression)
    return suppression.reason === 'unsubscribe'
      ? 'unsubscribed'
      : `address suppressed (${suppression.reason})`;
  if (profile.consent?.marketing !== true)
    return profile.consent ? 'marketing consent withdrawn' : 'no marketing consent on record';
  return { ...profile, email, emailHash };
}
