/**
 * Sends the onboarding steps that are due, at most once each.
 *
 * Per due enrollment: re-read it, the profile and the suppression list (consistent reads); end it if the address
 * is suppressed, consent is missing, or an exit condition holds; wait for the send window; skip the step if its
 * skip-if holds; else claim the step (one conditional transaction: the send record, the enrollment still at
 * that step, the address still not suppressed), render, send, and record the provider's message id with the
 * enrollment's next step in one transaction.
 *
 * Rules:
 * - At most once: a step is sent only by the holder of its claim, and a claim is never taken over.
 * - Crash rule: a claim with no outcome after SEND_LEASE_SECONDS (the dispatcher died between sending and
 *   recording) is marked `abandoned` and the enrollment moves on; the step is never re-sent, since it may
 *   well have gone out. Missing one onboarding email is better than sending it twice.
 * - A final refusal (invalid address, 5xx) fails the step and ends the enrollment with the reason; it does
 *   not suppress the address (only bounces and complaints do).
 * - A transient one (throttling, 4xx, unreachable) releases the claim for a retry with exponential backoff and
 *   full jitter; after MAX_SEND_ATTEMPTS the step is given up (`failed`, with the reason) and the sequence goes
 *   on. One that concerns the whole provider (421, throttled account, connection refused) ends the run.
 */
import { randomUUID } from 'node:crypto';
import {
  isMailError,
  type MailProvider,
  MailRejectedError,
  MailRetryableError,
  type OutgoingMail,
} from '../mail/index.js';
import { segmentsOf } from '../scoring/fit.js';
import { loadSegments } from '../scoring/scoring-config.js';
import {
  advanceEnrollment,
  claimStep,
  type DueEntry,
  dueEnrollments,
  type Enrollment,
  endEnrollment,
  type GivenExpectation,
  getEnrollment,
  getSendRecord,
  getSuppression,
  recentTrackEvents,
  releaseForRetry,
  rescheduleEnrollment,
  type SendUpdate,
  type StepOutcome,
} from '../store/enrollments.js';
import {
  breakExpectation,
  type DueExpectation,
  dueExpectations,
  getExpectation,
} from '../store/expectations.js';
import { getProfile } from '../store/profiles.js';
import { config } from '../util/config.js';
import { log } from '../util/log.js';
import { withRetries } from '../util/retry.js';
import { expectationCounters } from './expectation-counters.js';
import { expectationDeadline } from './expectations.js';
import {
  expectationsMentioned,
  loadSequenceVersion,
  loadTemplate,
  templateValues,
} from './onboarding-config.js';
import { nextSendTime, stepDueTime } from './schedule.js';
import { exitReason, type Sequence, type SkipCondition, skipStep } from './sequence.js';
import { renderTemplate } from './template.js';
import { signUnsubscribeToken } from './unsubscribe-token.js';

/** How many of a prospect's latest touchpoints are read for goals, churn and skip-if events. */
export const RECENT_TOUCHPOINTS = 200;
const MAX_RETRY_DELAY_MS = 6 * 3_600_000;

export type DispatchOutcome =
  | 'sent'
  | 'skipped'
  | 'exited'
  | 'rejected'
  | 'retried'
  | 'failed'
  | 'abandoned'
  | 'rescheduled'
  | 'completed'
  | 'busy'
  | 'not-due';

export type DispatchResult = Record<DispatchOutcome | 'errors', number> & {
  /** Entries read from the due index. */
  due: number;
  /** Expectations whose deadline passed without a response, marked broken by this run. */
  expectationsBroken: number;
  /** Query pages read from the due index (one per shard when nothing is due). */
  indexQueries: number;
  stoppedBy?: string;
};

export type DispatchOptions = {
  provider: MailProvider;
  /** Epoch ms after which no new enrollment is started (the Lambda's remaining time, less a margin). */
  deadline?: number;
  random?: () => number;
};

/** The provider refuses everything for now: the step's own outcome is recorded, the run stops. */
class ProviderUnavailableError extends Error {
  constructor(
    reason: string,
    readonly outcome: DispatchOutcome,
  ) {
    super(reason);
  }
}

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
      result[await dispatchOne(entry, now, options)]++;
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
  // Needs no mail provider, so it runs even when the provider stopped the sends.
  for await (const due of dueExpectations(now)) {
    if (Date.now() >= deadline) break;
    try {
      if (await breakIfDue(due, now)) result.expectationsBroken++;
    } catch (error) {
      // It stays in the due index and is tried again next run.
      result.errors++;
      log.error('expectation check failed', {
        prospectId: due.prospectId,
        sequenceId: due.sequenceId,
        error: { name: (error as Error)?.name, message: (error as Error)?.message },
      });
    }
  }
  if (result.due || result.stoppedBy || result.expectationsBroken)
    log.info('onboarding dispatched', { ...result });
  return result;
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

async function dispatchOne(entry: DueEntry, now: Date, options: DispatchOptions): Promise<DispatchOutcome> {
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
  const profile = await getProfile(prospectId, true);
  if (!profile || profile.mergedInto)
    return end(
      'exited',
      profile?.mergedInto ? 'the prospect was merged into another' : 'the prospect is gone',
    );
  if (!profile.email || !profile.emailHash) return end('exited', 'no email address');
  const suppression = await getSuppression(profile.emailHash);
  if (suppression)
    return end(
      'exited',
      suppression.reason === 'unsubscribe' ? 'unsubscribed' : `address suppressed (${suppression.reason})`,
    );
  if (profile.consent?.marketing !== true)
    return end('exited', profile.consent ? 'marketing consent withdrawn' : 'no marketing consent on record');

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
    traits: profile,
    plan: enrollment.plan,
    events: recent.events,
    segments: step.skipIf ? segmentsOf(await loadSegments(), profile) : [],
  };
  if (skipStep(step.skipIf, facts)) {
    const next = advanced(enrollment, sequence, now, { stepId: step.id, status: 'skipped', at: iso(now) });
    await advanceEnrollment(next, enrollment.stepIndex, undefined);
    return 'skipped';
  }

  const token = randomUUID();
  const claim = await claimStep({
    prospectId,
    sequenceId,
    stepId: step.id,
    stepIndex: enrollment.stepIndex,
    emailHash: profile.emailHash,
    token,
    now,
  });
  if (claim === 'moved') return 'busy';
  if (claim === 'suppressed') return end('exited', 'address suppressed');
  if (claim === 'not-mailable') return end('exited', 'consent withdrawn or the prospect erased meanwhile');
  if (claim === 'taken') return resolveTakenClaim(enrollment, sequence, step.id, now);

  const template = await loadTemplate(step.template);
  if (!template) {
    const reason = `template ${step.template} is missing`;
    const next = advanced(enrollment, sequence, now, {
      stepId: step.id,
      status: 'failed',
      at: iso(now),
      reason,
    });
    await advanceEnrollment(next, enrollment.stepIndex, {
      stepId: step.id,
      claimToken: token,
      status: 'failed',
      reason,
    });
    return 'failed';
  }
  const given = giveExpectations(enrollment, sequence, expectationsMentioned(template), now);
  const unsubscribeUrl = `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/v1/unsubscribe?token=${signUnsubscribeToken(
    { prospectId, emailHash: profile.emailHash },
    config.UNSUBSCRIBE_SECRETS[0]!,
  )}`;
  const rendered = renderTemplate(
    template,
    templateValues({
      traits: profile,
      plan: enrollment.plan,
      sequence,
      given,
      timezone: enrollment.timezone,
      unsubscribeUrl,
    }),
  );
  const mail: OutgoingMail = {
    to: profile.email,
    from: config.MAIL_FROM,
    ...rendered,
    headers: {
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    tags: { prospectId, sequenceId, stepId: step.id },
    idempotencyKey: `${prospectId}.${sequenceId}.${step.id}`,
  };

  let providerMessageId: string;
  try {
    ({ providerMessageId } = await options.provider.send(mail));
  } catch (error) {
    return sendFailed(enrollment, sequence, step.id, token, error, now, options);
  }
  const next = advanced({ ...enrollment, expectations: given }, sequence, now, {
    stepId: step.id,
    status: 'sent',
    at: iso(now),
    providerMessageId,
  });
  const told = given.filter((item) => !enrollment.expectations.some((before) => before.id === item.id));
  await advanceEnrollment(
    next,
    enrollment.stepIndex,
    { stepId: step.id, claimToken: token, status: 'sent', providerMessageId },
    {
      expectations: told,
      counters: expectationCounters(
        told.map((expectation) => ({
          prospectId: enrollment.prospectId,
          sequenceId: enrollment.sequenceId,
          expectationId: expectation.id,
          givenAt: expectation.givenAt,
          count: 'given',
        })),
      ),
    },
  );
  return 'sent';
}

/**
 * The step is claimed already. A live claim belongs to another run; one older than the lease was left by a
 * run that died between sending and recording, and is abandoned without sending (the crash rule). An outcome
 * that is recorded while the enrollment did not move on cannot happen (both are one transaction) but is
 * repaired all the same.
 */
async function resolveTakenClaim(
  enrollment: Enrollment,
  sequence: Sequence,
  stepId: string,
  now: Date,
): Promise<DispatchOutcome> {
  const record = await getSendRecord(enrollment.prospectId, enrollment.sequenceId, stepId);
  if (!record) return 'busy';
  if (record.status === 'claimed') {
    const claimedAt = Date.parse(record.claimedAt ?? '');
    if (now.getTime() - claimedAt < config.SEND_LEASE_SECONDS * 1000) return 'busy';
    const reason = `claimed at ${record.claimedAt} without an outcome (dispatcher crashed?); not re-sent`;
    const next = advanced(enrollment, sequence, now, { stepId, status: 'abandoned', at: iso(now), reason });
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
    at: record.sentAt ?? iso(now),
    ...(record.providerMessageId ? { providerMessageId: record.providerMessageId } : {}),
  });
  await advanceEnrollment(next, enrollment.stepIndex, undefined);
  return 'busy';
}

async function sendFailed(
  enrollment: Enrollment,
  sequence: Sequence,
  stepId: string,
  claimToken: string,
  error: unknown,
  now: Date,
  options: DispatchOptions,
): Promise<DispatchOutcome> {
  // A plain Error from the adapter is our own mistake (a From or header it refuses): every send would fail.
  const failure = isMailError(error)
    ? error
    : new MailRetryableError(`mail could not be composed: ${(error as Error)?.message ?? 'unknown'}`, true);
  const ids = { prospectId: enrollment.prospectId, sequenceId: enrollment.sequenceId, stepId };
  if (failure instanceof MailRejectedError) {
    const reason = `rejected: ${failure.reason}`;
    const next: Enrollment = {
      ...advanced(enrollment, sequence, now, { stepId, status: 'failed', at: iso(now), reason }),
      status: 'exited',
      reason,
    };
    delete next.nextDueAt;
    await advanceEnrollment(next, enrollment.stepIndex, { stepId, claimToken, status: 'failed', reason });
    log.warn('onboarding mail rejected', ids);
    return 'rejected';
  }
  const record = await getSendRecord(enrollment.prospectId, enrollment.sequenceId, stepId);
  const attempts = record?.attempts ?? 1;
  let outcome: DispatchOutcome;
  if (attempts >= config.MAX_SEND_ATTEMPTS) {
    const reason = `gave up after ${attempts} attempts: ${failure.reason}`;
    const next = advanced(enrollment, sequence, now, {
      stepId,
      status: 'failed',
      at: iso(now),
      reason,
      attempts,
    });
    await advanceEnrollment(next, enrollment.stepIndex, { stepId, claimToken, status: 'failed', reason });
    outcome = 'failed';
  } else {
    const retryAt = new Date(now.getTime() + retryDelayMs(attempts, options.random ?? Math.random));
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

/** The enrollment after a step is done: the next step's due time in the window, or completed. */
function advanced(enrollment: Enrollment, sequence: Sequence, now: Date, outcome: StepOutcome): Enrollment {
  const history = [...enrollment.history, outcome].slice(-sequence.steps.length);
  const nextIndex = enrollment.stepIndex + 1;
  const nextStep = sequence.steps[nextIndex];
  if (!nextStep) return { ...finished({ ...enrollment, history }, now), stepIndex: nextIndex };
  const due = nextSendTime(stepDueTime(now, nextStep.delay), sequence.sendWindow, enrollment.timezone);
  return { ...enrollment, history, stepIndex: nextIndex, nextDueAt: iso(due), updatedAt: iso(now) };
}

function finished(enrollment: Enrollment, now: Date): Enrollment {
  const { nextDueAt: _due, ...rest } = enrollment;
  return { ...rest, status: 'completed', updatedAt: iso(now) };
}

/** Expectations told for the first time by this email: given now, with their deadlines. */
function giveExpectations(
  enrollment: Enrollment,
  sequence: Sequence,
  mentioned: ReadonlySet<string>,
  now: Date,
): GivenExpectation[] {
  const given = [...enrollment.expectations];
  for (const expectation of sequence.expectations) {
    if (!mentioned.has(expectation.id) || given.some((item) => item.id === expectation.id)) continue;
    given.push({
      id: expectation.id,
      text: expectation.text,
      givenAt: iso(now),
      deadline: iso(expectationDeadline(now, expectation, enrollment.timezone)),
    });
  }
  return given;
}

/**
 * Goals and churn count from enrollment on: the track events since then (at most RECENT_TOUCHPOINTS, newest).
 * A skip-if on events ("has done") looks at the latest RECENT_TOUCHPOINTS whenever they happened, and is read
 * only for a step that has one. Both are one bounded Query, whatever the history's length.
 */
async function recentActivity(prospectId: string, enrolledAt: string, stepUsesEvents: boolean) {
  const since = await recentTrackEvents(prospectId, { since: enrolledAt, limit: RECENT_TOUCHPOINTS });
  const eventsSinceEnrollment = new Set(since.map((event) => event.name));
  const events = stepUsesEvents
    ? new Set((await recentTrackEvents(prospectId, { limit: RECENT_TOUCHPOINTS })).map((event) => event.name))
    : eventsSinceEnrollment;
  const churned = [...eventsSinceEnrollment].some((name) => /^churned$/i.test(name));
  return { events, eventsSinceEnrollment, churned };
}

function usesEvents(condition: SkipCondition | undefined): boolean {
  if (!condition) return false;
  const leaves =
    'any' in condition
      ? condition.any
      : 'all' in condition
        ? condition.all
        : 'not' in condition
          ? [condition.not]
          : [condition];
  return leaves.some((leaf) => 'event' in leaf);
}

const iso = (date: Date) => date.toISOString();

export type { SendUpdate };
