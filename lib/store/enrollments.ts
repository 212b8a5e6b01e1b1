import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { shardOf } from '../model/shard.js';
import { type CounterUpdate, counterUpdateItems } from './aggregates.js';
import { documents, isConditionFailure, queryPages, tableName } from './client.js';
import { expectationsGivenItems } from './expectations.js';
import { keys, prospectIdFromPartition, sequenceIdFromEnrollmentKey } from './keys.js';
import { type NamedItem, transactWrite } from './transaction.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const DUE_SHARDS = 4;

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

export type SendStatus = 'claimed' | 'retry' | 'sent' | 'failed' | 'abandoned';

export type SendRecord = {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  status: SendStatus;
  claimToken?: string;
  claimedAt?: string;
  attempts: number;
  providerMessageId?: string;
  lastError?: string;
  sentAt?: string;
};

export type Suppression = { reason: 'bounce' | 'complaint' | 'unsubscribe'; at: string; source: string };

export type OnboardingDecision = {
  sequenceId: string | null;
  reason: string;
  at: string;
  conversionId: string;
};

/** Only active enrollments carry the due index keys: the dispatcher never reads one that is not due. */
export function enrollmentItem(enrollment: Enrollment) {
  return {
    ...keys.enrollment(enrollment.prospectId, enrollment.sequenceId),
    entity: 'enrollment',
    ...enrollment,
    ...(enrollment.status === 'active' && enrollment.nextDueAt
      ? dueKeys(enrollment.prospectId, enrollment.sequenceId, enrollment.nextDueAt)
      : {}),
  };
}

function dueKeys(prospectId: string, sequenceId: string, dueAt: string) {
  return keys.onboardingDue(shardOf(prospectId, DUE_SHARDS), dueAt, prospectId, sequenceId);
}

function fromItem<T>(item: Record<string, unknown>): T {
  const { PK: _pk, SK: _sk, entity: _entity, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest as T;
}

/**
 * Records the onboarding decision on the profile and, when a sequence was chosen, the enrollment, in one
 * transaction. Both conditions make it once per prospect: a replayed or later conversion finds the decision.
 */
export async function decideOnboarding(
  prospectId: string,
  decision: OnboardingDecision,
  enrollment: Enrollment | undefined,
): Promise<'decided' | 'already-decided'> {
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName,
        Key: keys.prospectProfile(prospectId),
        UpdateExpression: 'SET onboardingDecision = :decision',
        ConditionExpression:
          'attribute_exists(PK) AND attribute_not_exists(onboardingDecision) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasingAt)',
        ExpressionAttributeValues: { ':decision': decision },
      },
    },
  ];
  if (enrollment)
    items.push({
      Put: {
        TableName: tableName,
        Item: enrollmentItem(enrollment),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    });
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
    return 'decided';
  } catch (error) {
    if (error instanceof TransactionCanceledException && cancelledOn(error, 0, 1)) return 'already-decided';
    throw error;
  }
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
  return result.Item ? fromItem<Enrollment>(result.Item) : undefined;
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
  return (result.Items ?? []).map((item) => fromItem<Enrollment>(item));
}

export type DueEntry = { prospectId: string; sequenceId: string; dueAt: string };

/**
 * Enrollments whose next step is due at `now`, from the sparse due index (keys only): a Query per shard
 * bounded by `now`, so enrollments that are not due are never read. `onPage` counts the reads.
 */
export async function* dueEnrollments(
  now: Date,
  options: { pageSize?: number; onPage?: (items: number) => void } = {},
): AsyncGenerator<DueEntry> {
  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    const pages = queryPages({
      TableName: tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK <= :upper',
      ExpressionAttributeValues: {
        ':pk': keys.onboardingDuePartition(shard),
        ':upper': `${now.toISOString()}#~`,
      },
      Limit: options.pageSize ?? 100,
    });
    for await (const items of pages) {
      options.onPage?.(items.length);
      for (const item of items) {
        const sequenceId = sequenceIdFromEnrollmentKey(item.SK as string);
        if (!sequenceId) continue;
        yield {
          prospectId: prospectIdFromPartition(item.PK as string),
          sequenceId,
          dueAt: String(item.GSI1SK).split('#')[0]!,
        };
      }
    }
  }
}

export type ClaimOutcome = 'claimed' | 'taken' | 'moved' | 'suppressed' | 'not-mailable';

/**
 * Claims one step for sending, in one transaction: the send record (new, or one released for a retry), the
 * enrollment still at that step and active, the address not suppressed, and the profile still there, not being
 * erased and with marketing consent (a withdrawal or an erasure after the dispatcher's read wins). Whoever wins
 * the claim is the only one who may send the step.
 */
export async function claimStep(input: {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  stepIndex: number;
  emailHash: string;
  token: string;
  now: Date;
}): Promise<ClaimOutcome> {
  const { prospectId, sequenceId, stepId } = input;
  try {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: keys.sendRecord(prospectId, sequenceId, stepId),
              UpdateExpression:
                'SET entity = :entity, prospectId = :p, sequenceId = :s, stepId = :step, #status = :claimed, claimToken = :token, claimedAt = :now, attempts = if_not_exists(attempts, :zero) + :one',
              ConditionExpression: 'attribute_not_exists(PK) OR #status = :retry',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':entity': 'send',
                ':p': prospectId,
                ':s': sequenceId,
                ':step': stepId,
                ':claimed': 'claimed',
                ':retry': 'retry',
                ':token': input.token,
                ':now': input.now.toISOString(),
                ':zero': 0,
                ':one': 1,
              },
            },
          },
          {
            ConditionCheck: {
              TableName: tableName,
              Key: keys.enrollment(prospectId, sequenceId),
              ConditionExpression: '#status = :active AND stepIndex = :index',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':active': 'active', ':index': input.stepIndex },
            },
          },
          {
            ConditionCheck: {
              TableName: tableName,
              Key: keys.suppression(input.emailHash),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            ConditionCheck: {
              TableName: tableName,
              Key: keys.prospectProfile(prospectId),
              ConditionExpression:
                'attribute_exists(PK) AND attribute_not_exists(erasingAt) AND attribute_not_exists(mergedInto) AND consent.marketing = :true',
              ExpressionAttributeValues: { ':true': true },
            },
          },
        ],
      }),
    );
    return 'claimed';
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    if (cancelledOn(error, 1)) return 'moved';
    if (cancelledOn(error, 2)) return 'suppressed';
    if (cancelledOn(error, 3)) return 'not-mailable';
    if (cancelledOn(error, 0)) return 'taken';
    throw error;
  }
}

export async function getSendRecord(
  prospectId: string,
  sequenceId: string,
  stepId: string,
): Promise<SendRecord | undefined> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.sendRecord(prospectId, sequenceId, stepId),
      ConsistentRead: true,
    }),
  );
  return result.Item ? fromItem<SendRecord>(result.Item) : undefined;
}

export type SendUpdate = {
  stepId: string;
  /** The claim this outcome belongs to: a stale claimant cannot overwrite another's outcome. */
  claimToken: string;
  status: 'sent' | 'failed' | 'abandoned' | 'retry';
  providerMessageId?: string;
  reason?: string;
};

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
  const sendPart: NamedItem[] = send ? [{ name: 'send', item: sendUpdateItem(next, send) }] : [];
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

function sendUpdateItem(enrollment: Enrollment, send: SendUpdate): TransactItem {
  const values: Record<string, unknown> = {
    ':status': send.status,
    ':token': send.claimToken,
    ':now': enrollment.updatedAt,
  };
  const sets = ['#status = :status', 'updatedAt = :now'];
  if (send.providerMessageId !== undefined) {
    values[':messageId'] = send.providerMessageId;
    sets.push('providerMessageId = :messageId');
  }
  if (send.status === 'sent') sets.push('sentAt = :now');
  if (send.reason !== undefined) {
    values[':reason'] = send.reason;
    sets.push('lastError = :reason');
  }
  return {
    Update: {
      TableName: tableName,
      Key: keys.sendRecord(enrollment.prospectId, enrollment.sequenceId, send.stepId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      // Only the live claim: a claimant that comes back after its claim was abandoned changes nothing.
      ConditionExpression: '#status = :claimed AND claimToken = :token',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ...values, ':claimed': 'claimed' },
    },
  };
}

/**
 * Releases a claim whose send failed in a way that may pass (throttling, 4xx), and pushes the enrollment's
 * due time out. The send record stays, as `retry`, counting attempts.
 */
export async function releaseForRetry(
  enrollment: Enrollment,
  send: SendUpdate & { status: 'retry' },
  retryAt: Date,
  now: Date,
): Promise<void> {
  const items: TransactItem[] = [
    sendUpdateItem({ ...enrollment, updatedAt: now.toISOString() }, send),
    { Update: moveDueTime(enrollment, retryAt, now) },
  ];
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    // The enrollment ended meanwhile: only the send record changes.
    if (cancelledOn(error, 1) && !cancelledOn(error, 0))
      await documents.send(new TransactWriteCommand({ TransactItems: [items[0]!] }));
  }
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
      ':sk': dueKeys(enrollment.prospectId, enrollment.sequenceId, due).GSI1SK,
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

/** Suppresses an address for good; the first reason is kept. True when this call suppressed it. */
export async function suppressAddress(emailHash: string, suppression: Suppression): Promise<boolean> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.suppression(emailHash), entity: 'suppression', ...suppression },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getSuppression(emailHash: string): Promise<Suppression | undefined> {
  const result = await documents.send(
    new GetCommand({ TableName: tableName, Key: keys.suppression(emailHash), ConsistentRead: true }),
  );
  return result.Item ? fromItem<Suppression>(result.Item) : undefined;
}

/**
 * Names and times of a prospect's track events, newest first, among its latest `limit` touchpoints (since
 * `since`, when given). Bounded whatever the history's length; only the few attributes needed are returned.
 */
export async function recentTrackEvents(
  prospectId: string,
  options: { since?: string; limit: number },
): Promise<{ name: string; occurredAt: string }[]> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: options.since
        ? 'PK = :pk AND SK BETWEEN :from AND :to'
        : 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: '#type = :track',
      ProjectionExpression: '#name, occurredAt',
      ExpressionAttributeNames: { '#type': 'type', '#name': 'name' },
      ExpressionAttributeValues: {
        ':pk': keys.prospectPartition(prospectId),
        ':track': 'track',
        ...(options.since
          ? { ':from': `${keys.touchpointPrefix}${options.since}`, ':to': `${keys.touchpointPrefix}~` }
          : { ':prefix': keys.touchpointPrefix }),
      },
      ScanIndexForward: false,
      Limit: options.limit,
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? [])
    .filter((item) => typeof item.name === 'string')
    .map((item) => ({ name: item.name as string, occurredAt: String(item.occurredAt) }));
}

/** Whether the transaction was cancelled by a failed condition on any of the item positions given. */
function cancelledOn(error: TransactionCanceledException, ...positions: number[]): boolean {
  const reasons = error.CancellationReasons ?? [];
  return positions.some((position) => reasons[position]?.Code === 'ConditionalCheckFailed');
}
