import { randomUUID } from 'node:crypto';
import type { OnboardingSkipCode, ProspectProfile } from '../model/prospect.js';
import { segmentsOf } from '../scoring/fit.js';
import { loadSegments } from '../scoring/scoring-config.js';
import type { DueEntry } from '../store/due-enrollments.js';
import {
  advanceEnrollment,
  type Enrollment,
  endEnrollment,
  getEnrollment,
  rescheduleEnrollment,
} from '../store/enrollments.js';
import { getProfile } from '../store/profiles.js';
import { claimStep } from '../store/send-records.js';
import { getSuppressions } from '../store/suppressions.js';
import { config } from '../util/config.js';
import type { DispatchOutcome, StepSender } from './dispatch-outcome.js';
import { advanced, finished } from './enrollment-progress.js';
import { loadSequenceVersion } from './onboarding-config.js';
import { noteIfNothingSent } from './onboarding-skip.js';
import { recentActivity, usesEvents } from './recent-activity.js';
import { nextSendTime } from './schedule.js';
import { sendClaimedStep } from './send-step.js';
import {
  exitReason,
  type MessageCategory,
  remainingCategories,
  type Sequence,
  type Step,
  skipStep,
} from './sequence.js';
import { resolveTakenClaim } from './taken-claim.js';

const DAY_MS = 86_400_000;

type Recipient = ProspectProfile & { email: string; emailHash: string };

/** Why this step is not sent: `end` stops the enrollment (nothing more can go), `skip` passes over this step. */
type NotNow = { end: true; code: OnboardingSkipCode; reason: string } | { end: false; reason: string };

/**
 * One due enrollment: re-read it, the profile and the suppressions (consistent reads); end it if nothing can be
 * sent to this person any more, or an exit condition holds; pass over a step whose category this person may not
 * get (no marketing consent, unsubscribed from it) or a survey inside the frequency cap; wait for the send window;
 * skip the step if its skip-if holds; else claim the step and send it.
 */
export async function dispatchStep(entry: DueEntry, now: Date, sender: StepSender): Promise<DispatchOutcome> {
  const enrollment = await getEnrollment(entry.prospectId, entry.sequenceId);
  // The index is eventually consistent: the entry may be older than the enrollment.
  if (enrollment?.status !== 'active' || !enrollment.nextDueAt) return 'not-due';
  if (Date.parse(enrollment.nextDueAt) > now.getTime()) return 'not-due';
  const { prospectId, sequenceId } = enrollment;
  const end = async (
    status: 'exited' | 'failed',
    reason: string,
    code: OnboardingSkipCode = 'other',
  ): Promise<DispatchOutcome> => {
    if (await endEnrollment(prospectId, sequenceId, status, reason, now))
      await noteIfNothingSent(enrollment, { code, reason }, now);
    return status === 'exited' ? 'exited' : 'failed';
  };

  const sequence = await loadSequenceVersion(sequenceId, enrollment.sequenceVersion);
  if (!sequence) return end('failed', `sequence ${sequenceId} version ${enrollment.sequenceVersion} is gone`);
  const step = sequence.steps[enrollment.stepIndex];
  if (!step) {
    await advanceEnrollment(finished(enrollment, now), enrollment.stepIndex, undefined);
    await noteIfNothingSent(enrollment, { code: 'other', reason: 'every step was skipped' }, now);
    return 'completed';
  }
  const skip = (reason: string) => skipCurrent(enrollment, sequence, step, reason, now);

  // Who may be mailed, and what, is decided now, at send time, not at enrollment.
  const recipient = await recipientFor(prospectId, step.category, sequence, enrollment.stepIndex);
  if ('end' in recipient)
    return recipient.end ? end('exited', recipient.reason, recipient.code) : skip(recipient.reason);

  const recent = await recentActivity(prospectId, enrollment, usesEvents(step.skipIf));
  const exit = exitReason(sequence, {
    unsubscribed: false,
    churned: recent.churned,
    replied: recent.replied,
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
  if (skipStep(step.skipIf, facts)) return skip('skip-if holds');

  const surveyBefore = new Date(now.getTime() - config.SURVEY_MIN_DAYS_BETWEEN * DAY_MS).toISOString();
  if (step.survey && surveyCapped(recipient, enrollment, step, surveyBefore))
    return skip(capReason(recipient.lastSurvey!.at));

  const claimToken = randomUUID();
  const claim = await claimStep({
    prospectId,
    sequenceId,
    stepId: step.id,
    stepIndex: enrollment.stepIndex,
    emailHash: recipient.emailHash,
    token: claimToken,
    now,
    terms: {
      category: step.category,
      needsConsent: step.category === 'marketing',
      ...(step.survey ? { survey: { before: surveyBefore } } : {}),
    },
  });
  if (claim === 'moved') return 'busy';
  if (claim === 'suppressed') return end('exited', 'address suppressed', 'suppressed');
  // A withdrawal, an unsubscribe or another survey landed between the reads above and the claim.
  if (claim === 'unsubscribed') return skip(`unsubscribed from ${step.category} emails`);
  if (claim === 'survey-capped') return skip(capReason(now.toISOString()));
  if (claim === 'not-mailable') return end('exited', 'consent withdrawn or the prospect erased meanwhile');
  if (claim !== 'claimed') return resolveTakenClaim(enrollment, sequence, step.id, claim.taken, now);
  return sendClaimedStep({ enrollment, sequence, step, profile: recipient, claimToken }, now, sender);
}

/** The step is passed over: recorded `skipped` with why, and the enrollment moves on (or completes). */
async function skipCurrent(
  enrollment: Enrollment,
  sequence: Sequence,
  step: Step,
  reason: string,
  now: Date,
): Promise<DispatchOutcome> {
  const next = advanced(enrollment, sequence, now, {
    stepId: step.id,
    status: 'skipped',
    at: now.toISOString(),
    reason,
  });
  const outcome = await advanceEnrollment(next, enrollment.stepIndex, undefined);
  if (outcome === 'advanced' && next.status === 'completed')
    await noteIfNothingSent(next, { code: 'other', reason: `every step was skipped (last: ${reason})` }, now);
  return 'skipped';
}

/**
 * The profile if a step of `category` may go to its owner now; else whether the enrollment must end (nothing it
 * has left can be sent) or only this step is passed over. Transactional mail needs no marketing consent, but never
 * goes after a hard bounce, a complaint, an erasure or an unsubscribe from its category.
 */
async function recipientFor(
  prospectId: string,
  category: MessageCategory,
  sequence: Sequence,
  stepIndex: number,
): Promise<Recipient | NotNow> {
  const profile = await getProfile(prospectId, true);
  if (!profile || profile.mergedInto)
    return {
      end: true,
      code: 'other',
      reason: profile?.mergedInto ? 'the prospect was merged into another' : 'the prospect is gone',
    };
  if (profile.erasingAt) return { end: true, code: 'other', reason: 'the prospect is being erased' };
  const { email, emailHash } = profile;
  if (!email || !emailHash) return { end: true, code: 'no-email', reason: 'no email address' };
  const suppressions = await getSuppressions(emailHash, category);
  if (suppressions.address)
    return suppressions.address.reason === 'unsubscribe'
      ? { end: true, code: 'unsubscribed', reason: 'unsubscribed' }
      : { end: true, code: 'suppressed', reason: `address suppressed (${suppressions.address.reason})` };
  // What is left of the sequence decides: an enrollment with only this kind of step left ends, another goes on.
  const onlyThisKindLeft = remainingCategories(sequence, stepIndex).size === 1;
  if (suppressions.category) {
    const reason = `unsubscribed from ${category} emails`;
    return onlyThisKindLeft ? { end: true, code: 'unsubscribed', reason } : { end: false, reason };
  }
  if (category === 'marketing' && profile.consent?.marketing !== true) {
    const reason = profile.consent ? 'marketing consent withdrawn' : 'no marketing consent on record';
    return onlyThisKindLeft ? { end: true, code: 'no-marketing-consent', reason } : { end: false, reason };
  }
  return { ...profile, email, emailHash };
}

/** A survey inside the cap: another survey (not this step again, after a retry) was sent after `before`. */
function surveyCapped(recipient: Recipient, enrollment: Enrollment, step: Step, before: string): boolean {
  const last = recipient.lastSurvey;
  if (!last || last.at < before) return false;
  return !(last.sequenceId === enrollment.sequenceId && last.stepId === step.id);
}

function capReason(lastAt: string): string {
  return `a survey was sent on ${lastAt.slice(0, 10)}: at most one every ${config.SURVEY_MIN_DAYS_BETWEEN} days`;
}
