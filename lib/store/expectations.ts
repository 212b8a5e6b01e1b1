import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { shardOf } from '../model/shard.js';
import { type CounterUpdate, counterUpdateItems } from './aggregates.js';
import { documents, queryPages, tableName } from './client.js';
import { keys, prospectIdFromPartition } from './keys.js';
import { type NamedItem, transactWrite } from './transaction.js';

/**
 * The lifecycle of one promise a sequence made to one customer: given (the first email that tells it was sent),
 * then met (a sales response by the deadline) or broken (the deadline passed first), each once.
 *
 * Decision: an item of its own (`EXP#<sequenceId>#<expectationId>`), not a field of the enrollment. The
 * dispatcher rewrites the enrollment whole (a Put) when it moves on, which would silently reopen an expectation
 * the scorer had just marked met, and the due check would then count it broken as well. Its own item is only
 * ever changed by conditional updates from `open`, so each outcome is written, and counted, once. While open it
 * carries the sparse due keys of its deadline, like an active enrollment carries its next step's.
 */

export const EXPECTATION_DUE_SHARDS = 4;

export type ExpectationStatus = 'open' | 'met' | 'broken';

export type ExpectationRecord = {
  prospectId: string;
  sequenceId: string;
  expectationId: string;
  text: string;
  givenAt: string;
  deadline: string;
  status: ExpectationStatus;
  /** When it was found met or broken. */
  decidedAt?: string;
  /** Met: when the response that kept it happened. */
  respondedAt?: string;
};

export type GivenInput = { id: string; text: string; givenAt: string; deadline: string };

/**
 * For the transaction that records the send that told these expectations: each as a new open item with its
 * deadline in the due index. Conditional on not existing, so a promise is given once.
 */
export function expectationsGivenItems(
  prospectId: string,
  sequenceId: string,
  given: readonly GivenInput[],
): NamedItem[] {
  return given.map((expectation) => ({
    name: `expectation:${expectation.id}`,
    item: {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.expectation(prospectId, sequenceId, expectation.id),
          entity: 'expectation',
          prospectId,
          sequenceId,
          expectationId: expectation.id,
          text: expectation.text,
          givenAt: expectation.givenAt,
          deadline: expectation.deadline,
          status: 'open',
          ...dueKeys(prospectId, sequenceId, expectation.id, expectation.deadline),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  }));
}

export type ExpectationDecision = {
  expectation: ExpectationRecord;
  status: 'met' | 'broken';
  at: string;
  respondedAt?: string;
};

/**
 * For a caller's transaction: each expectation decided (conditional on it still being open; a broken one also
 * on its deadline having passed) and leaving the due index.
 */
export function expectationsDecidedItems(decisions: readonly ExpectationDecision[]): NamedItem[] {
  return decisions.map(({ expectation, status, at, respondedAt }) => ({
    name: `expectation:${expectation.sequenceId}#${expectation.expectationId}`,
    item: {
      Update: {
        TableName: tableName,
        Key: keys.expectation(expectation.prospectId, expectation.sequenceId, expectation.expectationId),
        UpdateExpression: `SET #status = :status, decidedAt = :at${respondedAt ? ', respondedAt = :responded' : ''} REMOVE GSI1PK, GSI1SK`,
        ConditionExpression: status === 'broken' ? '#status = :open AND deadline < :at' : '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': at,
          ':open': 'open',
          ...(respondedAt ? { ':responded': respondedAt } : {}),
        },
      },
    },
  }));
}

/**
 * Marks an expectation broken at `now` with the counters its outcome adds, in one transaction: `decided` when it
 * was decided meanwhile (met by a response, broken by another run) or its deadline has not passed; `conflict`
 * when another transaction held the item, so the caller re-reads and tries again.
 */
export async function breakExpectation(
  expectation: ExpectationRecord,
  now: Date,
  counters: readonly CounterUpdate[],
): Promise<'broken' | 'decided' | 'conflict'> {
  const outcome = await transactWrite([
    ...expectationsDecidedItems([{ expectation, status: 'broken', at: now.toISOString() }]),
    ...counterUpdateItems(counters),
  ]);
  if (outcome.committed) return 'broken';
  return outcome.failed.length ? 'decided' : 'conflict';
}

export async function getExpectation(
  prospectId: string,
  sequenceId: string,
  expectationId: string,
): Promise<ExpectationRecord | undefined> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.expectation(prospectId, sequenceId, expectationId),
      ConsistentRead: true,
    }),
  );
  return result.Item ? expectationFromItem(result.Item) : undefined;
}

export type DueExpectation = { prospectId: string; sequenceId: string; expectationId: string };

/**
 * Open expectations whose deadline is before `now`, from the sparse due index: a Query per shard bounded by
 * `now`, so expectations not yet due, and decided ones, are never read.
 */
export async function* dueExpectations(now: Date): AsyncGenerator<DueExpectation> {
  for (let shard = 0; shard < EXPECTATION_DUE_SHARDS; shard++) {
    const pages = queryPages({
      TableName: tableName,
      IndexName: 'GSI1',
      // `<` on the deadline itself: a response at the deadline still keeps the promise.
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK < :upper',
      ExpressionAttributeValues: { ':pk': keys.expectationDuePartition(shard), ':upper': now.toISOString() },
    });
    for await (const items of pages) {
      for (const item of items) {
        const rest = String(item.SK).slice(keys.expectationPrefix.length);
        const separator = rest.indexOf('#');
        if (separator < 0) continue;
        yield {
          prospectId: prospectIdFromPartition(item.PK as string),
          sequenceId: rest.slice(0, separator),
          expectationId: rest.slice(separator + 1),
        };
      }
    }
  }
}

export function expectationFromItem(item: Record<string, unknown>): ExpectationRecord {
  const { PK: _pk, SK: _sk, entity: _entity, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest as ExpectationRecord;
}

function dueKeys(prospectId: string, sequenceId: string, expectationId: string, deadline: string) {
  return keys.expectationDue(
    shardOf(prospectId, EXPECTATION_DUE_SHARDS),
    deadline,
    prospectId,
    sequenceId,
    expectationId,
  );
}
