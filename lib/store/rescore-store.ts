import { PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Touchpoint } from '../model/touchpoint.js';
import { documents, isConditionFailure, queryAll, tableName } from './client.js';
import { keys } from './keys.js';
import { touchpointFromItem } from './touchpoints.js';

export type RescoreSegment = {
  icpId: string;
  version: number;
  segment: number;
  totalSegments: number;
  status: 'pending' | 'done';
  processed: number;
  /** Where the segment's Scan stopped: the rescore resumes there after a timeout or a crash. */
  lastKey?: string;
  leaseOwner?: string;
  leaseUntil?: number;
};

export async function createSegments(icpId: string, version: number, totalSegments: number): Promise<void> {
  for (let segment = 0; segment < totalSegments; segment++) {
    try {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...keys.rescoreSegment(icpId, version, segment),
            entity: 'rescore-segment',
            icpId,
            version,
            segment,
            totalSegments,
            status: 'pending',
            processed: 0,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      // Already created by an earlier, interrupted publish: keep its progress.
      if (!isConditionFailure(error)) throw error;
    }
  }
}

export async function listSegments(icpId: string, version: number): Promise<RescoreSegment[]> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.rescorePartition(icpId, version) },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []) as RescoreSegment[];
}

/** Takes a segment for `leaseMs` unless another worker holds it: parallel workers never share a segment. */
export async function claimSegment(
  segment: RescoreSegment,
  owner: string,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.rescoreSegment(segment.icpId, segment.version, segment.segment),
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
        ConditionExpression:
          '#status = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': nowMs + leaseMs,
          ':now': nowMs,
          ':pending': 'pending',
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Records progress while the lease is still ours; false when another worker took the segment over. */
export async function saveSegmentProgress(
  segment: RescoreSegment,
  owner: string,
  progress: { processed: number; lastKey: string | undefined; done: boolean },
): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.rescoreSegment(segment.icpId, segment.version, segment.segment),
        UpdateExpression: `SET #processed = #processed + :processed, #status = :status${
          progress.lastKey ? ', lastKey = :lastKey' : ''
        }${progress.done ? ' REMOVE leaseOwner, leaseUntil' : ''}`,
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeNames: { '#status': 'status', '#processed': 'processed' },
        ExpressionAttributeValues: {
          ':processed': progress.processed,
          ':status': progress.done ? 'done' : 'pending',
          ':owner': owner,
          ...(progress.lastKey ? { ':lastKey': progress.lastKey } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * One page of one parallel-Scan segment, keeping prospect profiles only. Scanning is for this offline rescore
 * alone: every request path reads by key.
 */
export async function scanProfiles(
  segment: number,
  totalSegments: number,
  startKey: Record<string, unknown> | undefined,
  limit: number,
): Promise<{ prospectIds: string[]; lastKey: Record<string, unknown> | undefined }> {
  const result = await documents.send(
    new ScanCommand({
      TableName: tableName,
      Segment: segment,
      TotalSegments: totalSegments,
      ExclusiveStartKey: startKey,
      Limit: limit,
      ConsistentRead: true,
      FilterExpression: 'SK = :profile AND attribute_not_exists(mergedInto)',
      ExpressionAttributeValues: { ':profile': keys.prospectProfile('x').SK },
      ProjectionExpression: 'prospectId',
    }),
  );
  return {
    prospectIds: (result.Items ?? []).map((item) => item.prospectId as string),
    lastKey: result.LastEvaluatedKey,
  };
}

/** Every touchpoint the stream has applied so far, in time order (paged: histories can be long). */
export async function appliedTouchpoints(prospectId: string): Promise<Touchpoint[]> {
  const items = await queryAll({
    TableName: tableName,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    FilterExpression: 'attribute_exists(scoredAt)',
    ExpressionAttributeValues: {
      ':pk': keys.prospectPartition(prospectId),
      ':prefix': keys.touchpointPrefix,
    },
    ConsistentRead: true,
  });
  return items.map(touchpointFromItem);
}
