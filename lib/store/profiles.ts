import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ProspectProfile } from '../model/prospect.js';
import type { ConsentRecord } from '../model/touchpoint.js';
import { documents, isConditionFailure, tableName } from './client.js';
import { keys } from './keys.js';

export async function getProfile(
  prospectId: string,
  consistent = false,
): Promise<ProspectProfile | undefined> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.prospectProfile(prospectId),
      ConsistentRead: consistent,
    }),
  );
  return result.Item ? profileFromItem(result.Item) : undefined;
}

export function profileFromItem(item: Record<string, unknown>): ProspectProfile {
  const { PK: _pk, SK: _sk, entity: _entity, ...profile } = item;
  return profile as ProspectProfile;
}

/**
 * Marks the profile's marketing consent withdrawn, keeping its proof. The first withdrawal's time and way stay;
 * undefined when there is no consent on record (or the profile is gone, merged away or being erased).
 */
export async function withdrawConsent(
  prospectId: string,
  via: NonNullable<ConsentRecord['withdrawnVia']>,
  now: Date,
): Promise<ConsentRecord | undefined> {
  try {
    const result = await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.prospectProfile(prospectId),
        UpdateExpression:
          'SET consent.marketing = :false, consent.withdrawnAt = if_not_exists(consent.withdrawnAt, :now), consent.withdrawnVia = if_not_exists(consent.withdrawnVia, :via), updatedAt = :now',
        ConditionExpression:
          'attribute_exists(consent) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasingAt)',
        ExpressionAttributeValues: { ':false': false, ':now': now.toISOString(), ':via': via },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes?.consent as ConsentRecord | undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}
