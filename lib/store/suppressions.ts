import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documents, isConditionFailure, tableName } from './client.js';
import { keys, withoutKeys } from './keys.js';

export type Suppression = { reason: 'bounce' | 'complaint' | 'unsubscribe'; at: string; source: string };

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
  return result.Item ? (withoutKeys(result.Item) as Suppression) : undefined;
}
