import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IdentityRef, ProspectProfile } from '../model/prospect.js';
import type { ConsentRecord, Touchpoint } from '../model/touchpoint.js';
import { TRAIT_NAMES, type Traits } from '../model/traits.js';
import { config } from '../util/config.js';
import { documents, queryPages, tableName } from './client.js';
import { keys, type TableKey } from './keys.js';
import { transactWrite } from './transaction.js';

/** Profile attributes that hold traits; a merge folds them and only them. */
const TRAIT_ATTRIBUTES = [...TRAIT_NAMES, 'domain'] as const satisfies readonly (keyof Traits)[];

export type WriteTouchpointInput = {
  prospectId: string;
  touchpoint: Touchpoint;
  identities: IdentityRef[];
  /** What each identity alias must point to now for the write to go ahead: a prospect id, or null for "absent". */
  expectedAliases: 'absent-or-target' | Map<string, string | null>;
  userId?: string;
  emailHash?: string;
  dedup: { key: TableKey; expiresAt: number };
  now: Date;
};

export type WriteOutcome =
  | { status: 'written' }
  | { status: 'duplicate' }
  | { status: 'conflict'; reason: 'identity' | 'merged' };

export function identityKeyString(identity: IdentityRef): string {
  return keys.identity(identity.kind, identity.value).PK;
}

/**
 * Writes one touchpoint and everything that must change with it in one transaction: the dedup marker,
 * the touchpoint, the profile and the identity aliases. Either all of it happens once, or none of it.
 */
export async function writeTouchpoint(input: WriteTouchpointInput): Promise<WriteOutcome> {
  const { prospectId, touchpoint, now } = input;
  const nowIso = now.toISOString();
  const profileKey = keys.prospectProfile(prospectId);
  const profileUpdate = buildProfileUpdate(input);
  const outcome = await transactWrite([
    {
      name: 'dedup',
      item: {
        Put: {
          TableName: tableName,
          Item: { ...input.dedup.key, entity: 'dedup', prospectId, expiresAt: input.dedup.expiresAt },
          ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :nowSeconds',
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(now.getTime() / 1000) },
        },
      },
    },
    {
      name: 'touchpoint',
      item: {
        Put: {
          TableName: tableName,
          // The marker's key travels with the touchpoint (and through merges), so an erasure can delete it.
          Item: touchpointItem(prospectId, touchpoint, { dedupKey: input.dedup.key.PK }),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
    {
      name: 'profile',
      item: {
        Update: {
          TableName: tableName,
          Key: profileKey,
          UpdateExpression: profileUpdate.expression,
          // An erasing profile takes nothing new: the capture retries and lands on a new prospect once it is gone.
          ConditionExpression: 'attribute_not_exists(mergedInto) AND attribute_not_exists(erasingAt)',
          ExpressionAttributeNames: profileUpdate.names,
          ExpressionAttributeValues: profileUpdate.values,
        },
      },
    },
    ...input.identities.map((identity) => {
      const expected =
        input.expectedAliases === 'absent-or-target'
          ? prospectId
          : input.expectedAliases.get(identityKeyString(identity));
      return {
        name: `alias:${identity.kind}`,
        item: {
          Put: {
            TableName: tableName,
            Item: {
              ...keys.identity(identity.kind, identity.value),
              entity: 'identity',
              kind: identity.kind,
              prospectId,
              updatedAt: nowIso,
            },
            ConditionExpression: expected
              ? 'attribute_not_exists(PK) OR prospectId = :expected'
              : 'attribute_not_exists(PK)',
            ...(expected ? { ExpressionAttributeValues: { ':expected': expected } } : {}),
          },
        },
      };
    }),
  ]);
  if (outcome.committed) return { status: 'written' };
  const { failed } = outcome;
  if (failed.includes('dedup') || failed.includes('touchpoint')) return { status: 'duplicate' };
  if (failed.includes('profile')) return { status: 'conflict', reason: 'merged' };
  // An alias pointing elsewhere, or another writer touching the same items at the same moment: the caller re-resolves.
  return { status: 'conflict', reason: 'identity' };
}

export function touchpointItem(
  prospectId: string,
  touchpoint: Touchpoint,
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
    expiresAt: touchpointExpiry(touchpoint),
    ...extra,
  };
}

/** A backdated import must outlive the stream (24 h) and its retries, or TTL could delete it before it is scored. */
const MIN_TOUCHPOINT_LIFE_SECONDS = 7 * 86_400;

/**
 * The touchpoint's TTL (epoch seconds): TOUCHPOINT_RETENTION_DAYS after it happened, and never sooner than a week
 * after it arrived. Derived from the touchpoint alone, so a merge that moves it keeps the same expiry.
 */
export function touchpointExpiry(touchpoint: Pick<Touchpoint, 'occurredAt' | 'receivedAt'>): number {
  const occurred = Date.parse(touchpoint.occurredAt) / 1000;
  const received = Date.parse(touchpoint.receivedAt) / 1000;
  return Math.floor(
    Math.max(
      occurred + config.TOUCHPOINT_RETENTION_DAYS * 86_400,
      (Number.isFinite(received) ? received : occurred) + MIN_TOUCHPOINT_LIFE_SECONDS,
    ),
  );
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

function buildProfileUpdate(input: WriteTouchpointInput) {
  const { touchpoint, now } = input;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':now': now.toISOString(),
    ':id': input.prospectId,
    ':entity': 'prospect',
    ':receivedAt': touchpoint.receivedAt,
  };
  const sets = [
    'entity = :entity',
    'prospectId = :id',
    'createdAt = if_not_exists(createdAt, :now)',
    'updatedAt = :now',
    'lastReceivedAt = :receivedAt',
  ];
  const adds: string[] = [];
  let index = 0;
  for (const [trait, value] of Object.entries(touchpoint.traits ?? {})) {
    if (value === undefined) continue;
    names[`#t${index}`] = trait;
    values[`:t${index}`] = value;
    sets.push(`#t${index} = :t${index}`);
    index++;
  }
  if (input.userId || input.emailHash) {
    values[':known'] = true;
    sets.push('known = :known');
  }
  if (input.userId) {
    values[':userId'] = input.userId;
    sets.push('userId = :userId');
  }
  if (input.emailHash) {
    values[':emailHash'] = input.emailHash;
    sets.push('emailHash = :emailHash');
  }
  const anonymous = input.identities
    .filter((identity) => identity.kind === 'anon')
    .map((identity) => identity.value);
  if (anonymous.length) {
    values[':anon'] = new Set(anonymous);
    adds.push('anonymousIds :anon');
  }
  if (touchpoint.consent) {
    values[':consent'] = touchpoint.consent;
    sets.push('consent = :consent');
  }
  if (touchpoint.type === 'conversion') {
    // The first conversion makes a customer; a later one (an upgrade) only changes the plan.
    values[':customer'] = 'customer';
    values[':customerAt'] = touchpoint.occurredAt;
    sets.push('lifecycle = :customer', 'customerAt = if_not_exists(customerAt, :customerAt)');
    const plan = touchpoint.properties.plan;
    if (typeof plan === 'string') {
      values[':plan'] = plan;
      sets.push('#plan = :plan');
      names['#plan'] = 'plan';
    }
  }
  const expression = `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`;
  return { expression, names: Object.keys(names).length ? names : undefined, values };
}

export async function getDedupProspect(key: TableKey): Promise<string | undefined> {
  const result = await documents.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  return result.Item?.prospectId as string | undefined;
}

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

/** Current alias targets, keyed by identityKeyString. */
export async function getAliases(identities: IdentityRef[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!identities.length) return found;
  let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
    [tableName]: {
      Keys: identities.map((identity) => keys.identity(identity.kind, identity.value)),
      ConsistentRead: true,
    },
  };
  while (request && Object.keys(request).length) {
    const result = await documents.send(new BatchGetCommand({ RequestItems: request }));
    for (const item of result.Responses?.[tableName] ?? [])
      found.set(item.PK as string, item.prospectId as string);
    request = result.UnprocessedKeys as typeof request;
  }
  return found;
}

export async function getAlias(identity: IdentityRef): Promise<string | undefined> {
  return (await getAliases([identity])).get(identityKeyString(identity));
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

// ---- merges: an anonymous visitor's history joins the prospect they turn out to be ----

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

export async function batchWrite(requests: Record<string, unknown>[]): Promise<void> {
  let pending: Record<string, unknown>[] | undefined = requests;
  for (let attempt = 0; pending?.length; attempt++) {
    if (attempt > 8) throw new Error('BatchWrite left unprocessed items after retries');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
    const result = await documents.send(
      new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }),
    );
    pending = result.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
  }
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
