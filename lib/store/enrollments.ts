import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ThrottledError } from '../model/errors.js';
import type { OnboardingSkip, ProspectProfile } from '../model/prospect.js';
import { type CounterUpdate, counterUpdateItems } from './aggregates.js';
import { documents, isConditionFailure, tableName } from './client.js';
import { enrollmentDueKeys } from './due-enrollments.js';
import { expectationsGivenItems } from './expectations.js';
import { keys, withoutKeys } from './keys.js';
import { type SendUpdate, sendUpdateItem } from './send-records.js';
import { type NamedItem, transactWrite } from './transaction.js';

export type EnrollmentStatus = 'active' | 'completed' | 'exited' | 'failed';

export type StepOutcome = {
  stepId: string;
  status: 'sent' | 'skipped' | 'failed' | 'abandoned';
  at: string;
  providerMessageId?: string;
  reason?: string;
  attempts?: number;
};

export type GivenExpectation = { id: string; text: string; givenAt: string; deadline: string };

export type Enrollment = {
  prospectId: string;
  sequenceId: string;
  sequenceVersion: number;
  /** What started it (absent on enrollments of before start kinds: a conversion), in words for the view. */
  start?: { kind: string; detail?: string };
  status: EnrollmentStatus;
  reason?: string;
  enrolledAt: string;
  updatedAt: string;
  /** The step to send next; equals the number of steps once the enrollment is over. */
  stepIndex: number;
  nextDueAt?: string;
  timezone: string;
  plan?: string;
  /** Bounded by the sequence's expectations (≤ 10). */
  expectations: GivenExpectation[];
  /** One entry per step done, so bounded by the sequence's steps (≤ 20). */
  history: StepOutcome[];
};

export type OnboardingDecision = NonNullable<ProspectProfile['onboardingDecision']>;

/** Only active enrollments carry the due index keys: the dispatcher never reads one that is not due. */
export function enrollmentItem(enrollment: Enrollment) {
  return {
    ...keys.enrollment(enrollment.prospectId, enrollment.sequenceId),
    entity: 'enrollment',
    ...enrollment,
    ...(enrollment.status === 'active' && enrollment.nextDueAt
      ? enrollmentDueKeys(enrollment.prospectId, enrollment.sequenceId, enrollment.nextDueAt)
      : {}),
  };
}

/**
 * Records the onboarding decision on the profile and, when a sequence was chosen, the enrollment, in one
 * transaction. Both conditions make it once per prospect: a replayed or later conversion finds the decision.
 */
export async function decideOnboarding(
  prospectId: string,
  decision: OnboardingDecision,
  enrollment: Enrollment | undefined,
  /** No sequence: why the customer gets nothing, recorded with the decision, and the counters it adds. */
  skipped?: { skip: OnboardingSkip; counters: readonly CounterUpdate[] },
): Promise<'decided' | 'already-decided'> {
  const parts: NamedItem[] = [
    {
      name: 'decision',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.prospectProfile(prospectId),
          UpdateExpression: `SET onboardingDecision = :decision${skipped ? ', onboardingSkipped = :skip' : ''}`,
          ConditionExpression:
            'attribute_exists(PK) AND attribute_not_exists(onboardingDecision) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasingAt)',
          ExpressionAttributeValues: { ':decision': decision, ...(skipped ? { ':skip': skipped.skip } : {}) },
        },
      },
    },
    ...counterUpdateItems(skipped?.counters ?? []),
  ];
  if (enrollment)
    parts.push({
      name: 'enrollment',
      item: {
        Put: {
          TableName: tableName,
          Item: enrollmentItem(enrollment),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    });
  const outcome = await transactWrite(parts);
  if (outcome.committed) return 'decided';
  if (outcome.failed.length) return 'already-decided';
  throw new ThrottledError('The onboarding decision is being written concurrently; retry shortly');
}

/** The sequence a start kind last enrolled a person into: they are in at most one per kind at a time. */
export type SequenceLane = { prospectId: string; kind: string; sequenceId: string; at: string };

export function laneFromItem(item: Record<string, unknown>): SequenceLane {
  return withoutKeys(item) as SequenceLane;
}

/** An enrollment something on the stream started, and the lane it takes (from `previous`, no longer active). */
export type EnrollmentStart = {
  enrollment: Enrollment;
  lane: { kind: string; previous: string | undefined };
};

/**
 * For the transaction of the change that started it (the scorer's, so a replayed record starts nothing): the
 * enrollment, new (a person goes through a sequence once); the lane, still as read; and the lane's previous
 * enrollment, no longer active. A refusal names the start's parts (`start:<sequenceId>`).
 */
export function enrollmentStartItems(start: EnrollmentStart): NamedItem[] {
  const { enrollment, lane } = start;
  const parts: NamedItem[] = [
    {
      name: `start:${enrollment.sequenceId}`,
      item: {
        Put: {
          TableName: tableName,
          Item: enrollmentItem(enrollment),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
    {
      name: `start:${enrollment.sequenceId}:lane`,
      item: {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.lane(enrollment.prospectId, lane.kind),
            entity: 'lane',
            prospectId: enrollment.prospectId,
            kind: lane.kind,
            sequenceId: enrollment.sequenceId,
            at: enrollment.enrolledAt,
          },
          ConditionExpression: lane.previous ? 'sequenceId = :previous' : 'attribute_not_exists(PK)',
          ...(lane.previous ? { ExpressionAttributeValues: { ':previous': lane.previous } } : {}),
        },
      },
    },
  ];
  if (lane.previous)
    parts.push({
      name: `start:${enrollment.sequenceId}:previous`,
      item: {
        ConditionCheck: {
          TableName: tableName,
          Key: keys.enrollment(enrollment.prospectId, lane.previous),
          ConditionExpression: 'attribute_not_exists(PK) OR #status <> :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active' },
        },
      },
    });
  return parts;
}

export async function getEnrollment(
  prospectId: string,
  sequenceId: string,
  consistent = true,
): Promise<Enrollment | undefined> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.enrollment(prospectId, sequenceId),
      ConsistentRead: consistent,
    }),
  );
  return result.Item ? (withoutKeys(result.Item) as Enrollment) : undefined;
}

/** Every enrollment of a prospect: one Query (a prospect has a handful at most). */
export async function listEnrollments(prospectId: string, consistent = false): Promise<Enrollment[]> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.prospectPartition(prospectId),
        ':prefix': keys.enrollmentPrefix,
      },
      ConsistentRead: consistent,
    }),
  );
  return (result.Items ?? []).map((item) => withoutKeys(item) as Enrollment);
}

/**
 * Moves an enrollment on from step `fromIndex` (conditional on it still being there), recording the step's
 * send outcome in the same transaction. If the enrollment was ended meanwhile (an unsubscribe, a bounce),
 * the outcome is still recorded and the step appended to its history, without making it active again.
 */
export async function advanceEnrollment(
  next: Enrollment,
  fromIndex: number,
  send: SendUpdate | undefined,
  /** Expectations this send told for the first time, recorded open with it, and the counters they add. */
  given: { expectations: readonly GivenExpectation[]; counters: readonly CounterUpdate[] } = {
    expectations: [],
    counters: [],
  },
): Promise<'advanced' | 'ended-meanwhile' | 'moved'> {
  const sendPart: NamedItem[] = send
    ? [{ name: 'send', item: sendUpdateItem(next, send, next.updatedAt) }]
    : [];
  const givenParts = [
    ...expectationsGivenItems(next.prospectId, next.sequenceId, given.expectations),
    ...counterUpdateItems(given.counters),
  ];
  const advancedOutcome = await transactWrite([
    ...sendPart,
    {
      name: 'enrollment',
      item: {
        Put: {
          TableName: tableName,
          Item: enrollmentItem(next),
          ConditionExpression: '#status = :active AND stepIndex = :index',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':index': fromIndex },
        },
      },
    },
    ...givenParts,
  ]);
  if (advancedOutcome.committed) return 'advanced';
  if (advancedOutcome.failed.includes('send')) return 'moved';
  if (!advancedOutcome.failed.includes('enrollment')) throw new Error('The enrollment changed concurrently');
  const latest = next.history.at(-1);
  const endedOutcome = await transactWrite([
    ...sendPart,
    {
      name: 'enrollment',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.enrollment(next.prospectId, next.sequenceId),
          UpdateExpression:
            'SET history = list_append(history, :latest), stepIndex = :next, expectations = :expectations, updatedAt = :now',
          ConditionExpression: 'stepIndex = :index',
          ExpressionAttributeValues: {
            ':latest': latest ? [latest] : [],
            ':next': next.stepIndex,
            ':expectations': next.expectations,
            ':now': next.updatedAt,
            ':index': fromIndex,
          },
        },
      },
    },
    ...givenParts,
  ]);
  return endedOutcome.committed ? 'ended-meanwhile' : 'moved';
}

/**
 * Releases a claim whose send failed in a way that may pass (throttling, 4xx), and pushes the enrollment's
 * due time out. The send record stays, as `retry`, counting attempts.
 */
export async function releaseForRetry(
  enrollment: Enrollment,
  retry: SendUpdate & { status: 'retry' },
  retryAt: Date,
  now: Date,
): Promise<void> {
  const send = {
    name: 'send',
    item: sendUpdateItem(enrollment, retry, now.toISOString()),
  };
  const outcome = await transactWrite([
    send,
    { name: 'enrollment', item: { Update: moveDueTime(enrollment, retryAt, now) } },
  ]);
  // The enrollment ended meanwhile: only the send record changes.
  if (!outcome.committed && outcome.failed.includes('enrollment') && !outcome.failed.includes('send'))
    await transactWrite([send]);
}

/** The update that moves an enrollment's next step to `dueAt`, in the due index too, if it is still at that step. */
function moveDueTime(enrollment: Enrollment, dueAt: Date, now: Date) {
  const due = dueAt.toISOString();
  return {
    TableName: tableName,
    Key: keys.enrollment(enrollment.prospectId, enrollment.sequenceId),
    UpdateExpression: 'SET nextDueAt = :due, GSI1SK = :sk, updatedAt = :now',
    ConditionExpression: '#status = :active AND stepIndex = :index',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':due': due,
      ':sk': enrollmentDueKeys(enrollment.prospectId, enrollment.sequenceId, due).GSI1SK,
      ':now': now.toISOString(),
      ':active': 'active',
      ':index': enrollment.stepIndex,
    },
  };
}

/** Moves the next step to a later time (outside the send window), if the enrollment is still there. */
export async function rescheduleEnrollment(enrollment: Enrollment, dueAt: Date, now: Date): Promise<void> {
  try {
    await documents.send(new UpdateCommand(moveDueTime(enrollment, dueAt, now)));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Ends an active enrollment (exit, failure); leaves the due index. False if it was not active. */
export async function endEnrollment(
  prospectId: string,
  sequenceId: string,
  status: 'exited' | 'failed',
  reason: string,
  now: Date,
): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.enrollment(prospectId, sequenceId),
        UpdateExpression:
          'SET #status = :status, reason = :reason, updatedAt = :now REMOVE GSI1PK, GSI1SK, nextDueAt',
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':reason': reason,
          ':now': now.toISOString(),
          ':active': 'active',
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Ends every active enrollment of a prospect; how many were ended. */
export async function endAllEnrollments(prospectId: string, reason: string, now: Date): Promise<number> {
  let ended = 0;
  for (const enrollment of await listEnrollments(prospectId, true)) {
    if (enrollment.status !== 'active') continue;
    if (await endEnrollment(prospectId, enrollment.sequenceId, 'exited', reason, now)) ended++;
  }
  return ended;
}
