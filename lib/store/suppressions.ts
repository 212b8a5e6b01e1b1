import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documents, isConditionFailure, tableName } from './client.js';
import { keys, withoutKeys } from './keys.js';

/** `unsubscribe` here is an unsubscribe from everything (a link of before categories, or a complaint's kin). */
export type Suppression = { reason: 'bounce' | 'complaint' | 'unsubscribe'; at: string; source: string };

/** An unsubscribe from one category of mail: the address still gets the others. */
export type CategorySuppression = { category: string; at: string; source: string };

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

/** Stops one category of mail to an address for good. True when this call did. */
export async function suppressCategory(
  emailHash: string,
  suppression: CategorySuppression,
): Promise<boolean> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.categorySuppression(emailHash, suppression.category),
          entity: 'suppression',
          ...suppression,
        },
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

/** The address-wide suppression and the category's (consistent reads, side by side). */
export async function getSuppressions(
  emailHash: string,
  category: string,
): Promise<{ address?: Suppression; category?: CategorySuppression }> {
  const [address, unsubscribed] = await Promise.all([
    getSuppression(emailHash),
    documents.send(
      new GetCommand({
        TableName: tableName,
        Key: keys.categorySuppression(emailHash, category),
        ConsistentRead: true,
      }),
    ),
  ]);
  return {
    ...(address ? { address } : {}),
    ...(unsubscribed.Item ? { category: withoutKeys(unsubscribed.Item) as CategorySuppression } : {}),
  };
}
