/** Merges: an anonymous visitor's history joins the prospect they turn out to be. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdentityRef, ProspectProfile } from '../model/prospect.js';
import { TRAIT_NAMES, type Traits } from '../model/traits.js';
import { batchWrite, documents, isConditionFailure, queryPages, tableName } from './client.js';
import { keys } from './keys.js';

/** Profile attributes that hold traits; a merge folds them and only them. */
const TRAIT_ATTRIBUTES = [...TRAIT_NAMES, 'domain'] as const satisfies readonly (keyof Traits)[];

/** Marks `loserId` as merged into `winnerId`; false when it is already merged elsewhere or gone. */
export async function markMerged(loserId: string, winnerId: string, now: Date): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.prospectProfile(loserId),
        UpdateExpression: 'SET mergedInto = :winner, mergeStartedAt = if_not_exists(mergeStartedAt, :now)',
        // An erasing visitor is not merged: its touchpoints would move out of the erasure's reach.
        ConditionExpression:
          'attribute_exists(PK) AND attribute_not_exists(erasingAt) AND (attribute_not_exists(mergedInto) OR mergedInto = :winner)',
        ExpressionAttributeValues: { ':winner': winnerId, ':now': now.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Moves every touchpoint of `fromId` into `toId`'s partition under the same sort key (idempotent). */
export async function moveTouchpoints(fromId: string, toId: string): Promise<number> {
  let moved = 0;
  const pages = queryPages({
    TableName: tableName,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.prospectPartition(fromId), ':prefix': keys.touchpointPrefix },
    ConsistentRead: true,
    Limit: 25,
  });
  for await (const items of pages) {
    if (!items.length) continue;
    await batchWrite(
      items.map(({ scoredAt: _scoredAt, ...item }) => ({
        // Without the loser's scored mark: the winner's scores take the touchpoint in when its copy lands.
        PutRequest: {
          Item: { ...item, PK: keys.prospectPartition(toId), prospectId: toId, mergedFrom: fromId },
        },
      })),
    );
    await batchWrite(items.map((item) => ({ DeleteRequest: { Key: { PK: item.PK, SK: item.SK } } })));
    moved += items.length;
  }
  return moved;
}

/** Fills the winner's missing traits and consent from the loser and takes over its identities. */
export async function foldProfile(loser: ProspectProfile, winnerId: string, now: Date): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':now': now.toISOString(),
    ':id': winnerId,
    ':entity': 'prospect',
  };
  const sets = [
    'entity = :entity',
    'prospectId = :id',
    'createdAt = if_not_exists(createdAt, :now)',
    'updatedAt = :now',
  ];
  const adds: string[] = [];
  let index = 0;
  const fill = (attribute: string, value: unknown) => {
    if (value === undefined) return;
    names[`#f${index}`] = attribute;
    values[`:f${index}`] = value;
    sets.push(`#f${index} = if_not_exists(#f${index}, :f${index})`);
    index++;
  };
  for (const trait of TRAIT_ATTRIBUTES) fill(trait, loser[trait]);
  fill('consent', loser.consent);
  fill('userId', loser.userId);
  fill('emailHash', loser.emailHash);
  if (loser.known) fill('known', true);
  if (loser.anonymousIds?.size) {
    values[':anon'] = loser.anonymousIds;
    adds.push('anonymousIds :anon');
  }
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.prospectProfile(winnerId),
        UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_not_exists(mergedInto)',
        ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Points an alias at `toId` if it still points at `fromId`. */
export async function repointAlias(
  identity: IdentityRef,
  fromId: string,
  toId: string,
  now: Date,
): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.identity(identity.kind, identity.value),
        UpdateExpression: 'SET prospectId = :to, updatedAt = :now',
        ConditionExpression: 'prospectId = :from',
        ExpressionAttributeValues: { ':to': toId, ':from': fromId, ':now': now.toISOString() },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** What remains of a merged profile: a forwarding address without personal data. */
export async function finishMerge(loserId: string, now: Date): Promise<void> {
  const removed = [...TRAIT_ATTRIBUTES, 'consent', 'userId', 'emailHash', 'anonymousIds'];
  const names = Object.fromEntries(removed.map((attribute, index) => [`#r${index}`, attribute]));
  await documents.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.prospectProfile(loserId),
      UpdateExpression: `SET mergeCompletedAt = :now REMOVE ${Object.keys(names).join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':now': now.toISOString() },
    }),
  );
}
