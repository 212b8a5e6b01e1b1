import { type AttributeValue, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ThrottledError } from '../model/errors.js';
import { documents } from './client.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One part of a transaction, named so that a refusal says which part refused, not which position. */
export type NamedItem = { name: string; item: TransactItem };

export type TransactionOutcome =
  | { committed: true }
  | {
      committed: false;
      /** Names of the parts whose condition failed. */
      failed: string[];
      /** Another transaction touched one of the items at the same moment: re-read and retry. */
      conflicted: boolean;
      /** What each failed part's item held, for parts that asked for it (ReturnValuesOnConditionCheckFailure). */
      current: Map<string, Record<string, unknown>>;
    };

/** DynamoDB's limit on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

const THROTTLED = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * Writes the parts all or none. A refusal comes back as the names of the parts whose condition failed (and, when
 * a part asked for ALL_OLD, what its item held), so no caller decodes CancellationReasons by position. A refusal
 * for throttling alone is a ThrottledError; anything else DynamoDB refuses is rethrown as it is.
 */
export async function transactWrite(parts: readonly NamedItem[]): Promise<TransactionOutcome> {
  if (!parts.length) return { committed: true };
  if (parts.length > MAX_TRANSACTION_ITEMS)
    throw new Error(`A transaction of ${parts.length} items is over DynamoDB's ${MAX_TRANSACTION_ITEMS}`);
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: parts.map((part) => part.item) }));
    return { committed: true };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    const failed: string[] = [];
    const current = new Map<string, Record<string, unknown>>();
    let conflicted = false;
    let throttled = false;
    reasons.forEach((reason, index) => {
      const name = parts[index]?.name ?? `#${index}`;
      if (reason.Code === 'ConditionalCheckFailed') {
        failed.push(name);
        // Errors pass the document client untranslated: the item comes back in DynamoDB's attribute format.
        if (reason.Item) current.set(name, unmarshall(reason.Item as Record<string, AttributeValue>));
      } else if (reason.Code === 'TransactionConflict') conflicted = true;
      else if (THROTTLED.has(reason.Code ?? '')) throttled = true;
      else if (reason.Code && reason.Code !== 'None') throw error;
    });
    if (!failed.length && !conflicted && throttled)
      throw new ThrottledError('The table is busy; retry shortly');
    if (!failed.length && !conflicted) throw error;
    return { committed: false, failed, conflicted, current };
  }
}
