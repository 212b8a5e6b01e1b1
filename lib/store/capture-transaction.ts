import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { IdentityRef } from '../model/prospect.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { identityKeyString } from './aliases.js';
import { documents, tableName } from './client.js';
import { keys, type TableKey } from './keys.js';
import { touchpointItem } from './touchpoints.js';
import { transactWrite } from './transaction.js';

export type WriteTouchpointInput = {
  prospectId: string;
  touchpoint: Touchpoint;
  /** The touchpoint's TTL (epoch seconds), as the retention policy decided. */
  touchpointExpiresAt: number;
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
          Item: touchpointItem(prospectId, touchpoint, input.touchpointExpiresAt, {
            dedupKey: input.dedup.key.PK,
          }),
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
