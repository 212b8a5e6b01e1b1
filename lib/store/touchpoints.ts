import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Touchpoint } from '../model/touchpoint.js';
import { documents, tableName } from './client.js';
import { keys } from './keys.js';

/** The stored form of a touchpoint; `expiresAt` (epoch seconds) is its TTL, as the retention policy decided. */
export function touchpointItem(
  prospectId: string,
  touchpoint: Touchpoint,
  expiresAt: number,
  extra: Record<string, unknown> = {},
) {
  const { properties, ...rest } = touchpoint;
  // Properties are stored as JSON text: any shape the client sent round-trips, and DynamoDB's number and
  // empty-value rules never reject an otherwise valid event.
  return {
    ...keys.touchpoint(prospectId, touchpoint.occurredAt, touchpoint.eventId),
    entity: 'touchpoint',
    prospectId,
    ...rest,
    properties: JSON.stringify(properties),
    expiresAt,
    ...extra,
  };
}

export function touchpointFromItem(item: Record<string, unknown>): Touchpoint & { prospectId: string } {
  // expiresAt and dedupKey are storage housekeeping (TTL, erasure), not part of what happened.
  const {
    PK: _pk,
    SK: _sk,
    entity: _entity,
    expiresAt: _expiresAt,
    dedupKey: _dedupKey,
    properties,
    ...rest
  } = item;
  return {
    ...(rest as Touchpoint & { prospectId: string }),
    properties: JSON.parse(String(properties ?? '{}')),
  };
}

export type TimelinePage = {
  items: (Touchpoint & { prospectId: string })[];
  lastKey?: Record<string, unknown>;
};

export async function queryTimeline(
  prospectId: string,
  options: { limit: number; startKey?: Record<string, unknown>; newestFirst?: boolean; consistent?: boolean },
): Promise<TimelinePage> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.prospectPartition(prospectId),
        ':prefix': keys.touchpointPrefix,
      },
      ScanIndexForward: !(options.newestFirst ?? true),
      Limit: options.limit,
      ExclusiveStartKey: options.startKey,
      ConsistentRead: options.consistent ?? false,
    }),
  );
  return {
    items: (result.Items ?? []).map(touchpointFromItem),
    ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey } : {}),
  };
}
/**
 * Types, names and times of a prospect's touchpoints of the given types, newest first, among its latest `limit`
 * touchpoints (since `since`, when given). Bounded whatever the history's length; only the few attributes needed
 * are returned.
 */
export async function recentTouchpointsOf(
  prospectId: string,
  options: { since?: string; limit: number; types: readonly string[] },
): Promise<{ type: string; name: string; occurredAt: string }[]> {
  const typeValues = Object.fromEntries(options.types.map((type, index) => [`:type${index}`, type]));
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: options.since
        ? 'PK = :pk AND SK BETWEEN :from AND :to'
        : 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: `#type IN (${Object.keys(typeValues).join(', ')})`,
      ProjectionExpression: '#type, #name, occurredAt',
      ExpressionAttributeNames: { '#type': 'type', '#name': 'name' },
      ExpressionAttributeValues: {
        ':pk': keys.prospectPartition(prospectId),
        ...typeValues,
        ...(options.since
          ? { ':from': `${keys.touchpointPrefix}${options.since}`, ':to': `${keys.touchpointPrefix}~` }
          : { ':prefix': keys.touchpointPrefix }),
      },
      ScanIndexForward: false,
      Limit: options.limit,
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((item) => ({
    type: String(item.type),
    name: typeof item.name === 'string' ? item.name : '',
    occurredAt: String(item.occurredAt),
  }));
}
