import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdentityKind, ProspectProfile } from '../model/prospect.js';
import { batchWrite, documents, isConditionFailure, queryAll, tableName } from './client.js';
import { keys, type TableKey } from './keys.js';
import { transactWrite } from './transaction.js';

export type ErasureCounts = {
  touchpoints: number;
  scores: number;
  rankingEntries: number;
  enrollments: number;
  sendRecords: number;
  aliases: number;
  dedupMarkers: number;
  mergedProfiles: number;
  otherItems: number;
};

export type Tombstone = {
  prospectIdHash: string;
  requestedAt: string;
  erasedAt: string;
  erasedBy: string;
  erased: ErasureCounts;
  /** The suppression kept so the address is never mailed again, if the person unsubscribed or complained. */
  suppressionKept: 'unsubscribe' | 'complaint' | null;
};

/**
 * Marks a profile as being erased (first caller's time and principal win). From here on every writer's
 * condition refuses it: captures, the scorer, merges, conversions and the dispatcher's claim. Undefined when
 * the profile is gone or merged away.
 */
export async function beginErasure(
  prospectId: string,
  by: string,
  now: Date,
): Promise<ProspectProfile | undefined> {
  try {
    const result = await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.prospectProfile(prospectId),
        UpdateExpression:
          'SET erasingAt = if_not_exists(erasingAt, :now), erasingBy = if_not_exists(erasingBy, :by)',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(mergedInto)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':by': by },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const { PK: _pk, SK: _sk, entity: _entity, ...profile } = result.Attributes ?? {};
    return profile as ProspectProfile;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

export type PartitionItem = { SK: string; mergedFrom?: string; dedupKey?: string };

export type ProspectPartition = {
  touchpoints: PartitionItem[];
  scores: PartitionItem[];
  enrollments: PartitionItem[];
  sendRecords: PartitionItem[];
  /** Whatever else a later feature keeps in the partition: it is the person's too. */
  other: PartitionItem[];
  hasProfile: boolean;
};

/** Every item of a prospect's partition by kind (keys and the attributes erasure follows), whatever its length. */
export async function readPartition(prospectId: string): Promise<ProspectPartition> {
  const items = (await queryAll({
    TableName: tableName,
    KeyConditionExpression: 'PK = :pk',
    ProjectionExpression: 'SK, mergedFrom, dedupKey',
    ExpressionAttributeValues: { ':pk': keys.prospectPartition(prospectId) },
    ConsistentRead: true,
  })) as PartitionItem[];
  const partition: ProspectPartition = {
    touchpoints: [],
    scores: [],
    enrollments: [],
    sendRecords: [],
    other: [],
    hasProfile: false,
  };
  const profileSk = keys.prospectProfile(prospectId).SK;
  for (const item of items) {
    if (item.SK === profileSk) partition.hasProfile = true;
    else if (item.SK.startsWith(keys.touchpointPrefix)) partition.touchpoints.push(item);
    else if (item.SK.startsWith(keys.scorePrefix)) partition.scores.push(item);
    else if (item.SK.startsWith(keys.enrollmentPrefix)) partition.enrollments.push(item);
    else if (item.SK.startsWith(keys.sendPrefix)) partition.sendRecords.push(item);
    else partition.other.push(item);
  }
  return partition;
}

/** Deletes items of a prospect's partition by sort key (not the profile: that goes last, with the tombstone). */
export async function deletePartitionItems(prospectId: string, sortKeys: string[]): Promise<void> {
  const pk = keys.prospectPartition(prospectId);
  for (let start = 0; start < sortKeys.length; start += 25)
    await batchWrite(
      sortKeys.slice(start, start + 25).map((SK) => ({ DeleteRequest: { Key: { PK: pk, SK } } })),
    );
}

/** Deletes an item that points to one of `owners` (an alias, a dedup marker); true when it did. */
export async function deleteIfOwned(key: TableKey, owners: string[]): Promise<boolean> {
  const values = Object.fromEntries(owners.map((owner, index) => [`:o${index}`, owner]));
  try {
    await documents.send(
      new DeleteCommand({
        TableName: tableName,
        Key: key,
        ConditionExpression: `prospectId IN (${Object.keys(values).join(', ')})`,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export const aliasKey = (kind: IdentityKind, value: string): TableKey => keys.identity(kind, value);
export const dedupKey = (partition: string): TableKey => keys.dedupByPartition(partition);

/** Deletes a merged-away stub's profile if it still forwards to `winnerId`. */
export async function deleteMergedStub(loserId: string, winnerId: string): Promise<boolean> {
  try {
    await documents.send(
      new DeleteCommand({
        TableName: tableName,
        Key: keys.prospectProfile(loserId),
        ConditionExpression: 'mergedInto = :winner',
        ExpressionAttributeValues: { ':winner': winnerId },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** A bounce says the address is dead, not that the person objected: it goes with the rest of them. */
export async function deleteBounceSuppression(emailHash: string): Promise<boolean> {
  try {
    await documents.send(
      new DeleteCommand({
        TableName: tableName,
        Key: keys.suppression(emailHash),
        ConditionExpression: 'reason = :bounce',
        ExpressionAttributeValues: { ':bounce': 'bounce' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * The last step: the profile (of this erasure, by its `erasingAt`) and the tombstone, in one transaction. False
 * when another run of the same erasure finished first.
 */
export async function finishErasure(prospectId: string, tombstone: Tombstone): Promise<boolean> {
  const outcome = await transactWrite([
    {
      name: 'profile',
      item: {
        Delete: {
          TableName: tableName,
          Key: keys.prospectProfile(prospectId),
          ConditionExpression: 'erasingAt = :requestedAt',
          ExpressionAttributeValues: { ':requestedAt': tombstone.requestedAt },
        },
      },
    },
    {
      name: 'tombstone',
      item: {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.tombstone(tombstone.prospectIdHash, tombstone.requestedAt),
            entity: 'tombstone',
            ...tombstone,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
  ]);
  return outcome.committed;
}

/** The latest tombstone for a prospect id hash. */
export async function latestTombstone(prospectIdHash: string): Promise<Tombstone | undefined> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.tombstonePartition(prospectIdHash) },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = result.Items?.[0];
  if (!item) return undefined;
  const { PK: _pk, SK: _sk, entity: _entity, ...tombstone } = item;
  return tombstone as Tombstone;
}
