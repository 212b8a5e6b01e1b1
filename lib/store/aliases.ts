import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { IdentityRef } from '../model/prospect.js';
import { documents, tableName } from './client.js';
import { keys } from './keys.js';

export function identityKeyString(identity: IdentityRef): string {
  return keys.identity(identity.kind, identity.value).PK;
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
