import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ConfigKind } from '../model/config-ids.js';
import { ConflictError } from '../model/errors.js';
import { config } from '../util/config.js';
import { sha256Hex } from '../util/crypto.js';
import { documents, queryAll, tableName } from './client.js';
import { keys } from './keys.js';
import { transactWrite } from './transaction.js';

export type { ConfigKind };

export type StoredConfig<T> = {
  kind: ConfigKind;
  id: string;
  version: number;
  updatedAt: string;
  document: T;
};

type CacheEntry = { value: unknown; expires: number };
// Config changes rarely and is read on every request: a short in-process cache keeps it to one read per
// container per CONFIG_CACHE_SECONDS.
const cache = new Map<string, CacheEntry>();

async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && hit.expires > Date.now()) return hit.value as T;
  const value = await load();
  cache.set(key, { value, expires: Date.now() + config.CONFIG_CACHE_SECONDS * 1000 });
  return value;
}

export async function getCurrentConfig<T>(
  kind: ConfigKind,
  id: string,
): Promise<StoredConfig<T> | undefined> {
  return cached(`${kind}/${id}`, async () => {
    const result = await documents.send(
      new GetCommand({ TableName: tableName, Key: keys.configCurrent(kind, id) }),
    );
    if (!result.Item) return undefined;
    return {
      kind,
      id,
      version: result.Item.version as number,
      updatedAt: result.Item.updatedAt as string,
      document: result.Item.document as T,
    };
  });
}

export async function listConfigVersions<T>(kind: ConfigKind, id: string): Promise<StoredConfig<T>[]> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :v)',
      ExpressionAttributeValues: { ':pk': keys.configCurrent(kind, id).PK, ':v': 'V#' },
      ScanIndexForward: false,
    }),
  );
  return (result.Items ?? []).map((item) => ({
    kind,
    id,
    version: item.version as number,
    updatedAt: item.updatedAt as string,
    document: item.document as T,
  }));
}

/** Ids and current versions of every document of a kind: one Query on the kind's index partition. */
export async function listConfigIds(
  kind: ConfigKind,
  options: { cached?: boolean } = {},
): Promise<{ id: string; version: number; updatedAt: string }[]> {
  const load = async () => {
    const items = await queryAll({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.configIndexPartition(kind) },
    });
    return items.map((item) => ({
      id: item.id as string,
      version: item.version as number,
      updatedAt: item.updatedAt as string,
    }));
  };
  // A writer (PUT, listing) needs the index as it is; a hot path may take it CONFIG_CACHE_SECONDS old.
  return options.cached ? cached(`index/${kind}`, load) : load();
}

/** One immutable version of a document; cached without expiry, since versions never change. */
export async function getConfigVersion<T>(
  kind: ConfigKind,
  id: string,
  version: number,
): Promise<StoredConfig<T> | undefined> {
  const key = `${kind}/${id}@${version}`;
  const hit = versionCache.get(key);
  if (hit) return hit as StoredConfig<T>;
  const result = await documents.send(
    new GetCommand({ TableName: tableName, Key: keys.configVersion(kind, id, version) }),
  );
  if (!result.Item) return undefined;
  const stored: StoredConfig<T> = {
    kind,
    id,
    version,
    updatedAt: result.Item.updatedAt as string,
    document: result.Item.document as T,
  };
  versionCache.set(key, stored);
  return stored;
}

const versionCache = new Map<string, StoredConfig<unknown>>();

export class ConfigVersionConflictError extends ConflictError {
  constructor(kind: ConfigKind, id: string) {
    super(`${kind} ${id} was changed concurrently`);
    this.name = 'ConfigVersionConflictError';
  }
}

/**
 * Writes a new version: the immutable `V#n` item and the `CURRENT` copy in one transaction, conditional on the
 * version read, so two concurrent writers cannot both become version n. Unchanged documents keep their version.
 */
export async function putConfig<T>(
  kind: ConfigKind,
  id: string,
  document: T,
  options: {
    now?: Date;
    /** Items that must change with this version, such as write-key lookups; computed from the previous document. */
    related?: (previous: T | undefined) => {
      put: { PK: string; SK: string; [key: string]: unknown }[];
      remove: { PK: string; SK: string }[];
    };
  } = {},
): Promise<StoredConfig<T>> {
  const now = (options.now ?? new Date()).toISOString();
  const currentItem = await documents.send(
    new GetCommand({ TableName: tableName, Key: keys.configCurrent(kind, id), ConsistentRead: true }),
  );
  const currentVersion = (currentItem.Item?.version as number | undefined) ?? 0;
  if (currentItem.Item && canonicalJson(currentItem.Item.document) === canonicalJson(document)) {
    return { kind, id, version: currentVersion, updatedAt: currentItem.Item.updatedAt as string, document };
  }
  const version = currentVersion + 1;
  const related = options.related?.(currentItem.Item?.document as T | undefined) ?? { put: [], remove: [] };
  const body = { entity: 'config', kind, id, version, updatedAt: now, document };
  const outcome = await transactWrite([
    {
      name: 'version',
      item: {
        Put: {
          TableName: tableName,
          Item: { ...keys.configVersion(kind, id, version), ...body },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
    {
      name: 'current',
      item: {
        Put: {
          TableName: tableName,
          Item: { ...keys.configCurrent(kind, id), ...body },
          ConditionExpression: currentVersion ? 'version = :current' : 'attribute_not_exists(PK)',
          ...(currentVersion ? { ExpressionAttributeValues: { ':current': currentVersion } } : {}),
        },
      },
    },
    {
      name: 'index',
      item: {
        Put: {
          TableName: tableName,
          Item: { ...keys.configIndex(kind, id), entity: 'config-index', kind, id, version, updatedAt: now },
        },
      },
    },
    ...related.put.map((item) => ({
      name: `related:${item.PK}`,
      item: { Put: { TableName: tableName, Item: item } },
    })),
    ...related.remove.map((key) => ({
      name: `related-removed:${key.PK}`,
      item: { Delete: { TableName: tableName, Key: key } },
    })),
  ]);
  // Another writer made version n first (or is making it now): the caller re-reads and decides again.
  if (!outcome.committed) throw new ConfigVersionConflictError(kind, id);
  cache.delete(`${kind}/${id}`);
  return { kind, id, version, updatedAt: now, document };
}

export function writeKeyHash(writeKey: string): string {
  return sha256Hex(`write-key|${writeKey}`);
}

/** Lookup items for a source's write keys: those added are put, those rotated out removed, with the config version. */
export function sourceWriteKeyChanges(sourceId: string, writeKeys: string[], previousWriteKeys: string[]) {
  const removed = previousWriteKeys.filter((key) => !writeKeys.includes(key));
  return {
    put: writeKeys.map((key) => ({
      ...keys.sourceWriteKey(writeKeyHash(key)),
      entity: 'source-key',
      sourceId,
    })),
    remove: removed.map((key) => keys.sourceWriteKey(writeKeyHash(key))),
  };
}

/** The source a write key belongs to; write keys are looked up by hash, never stored in a key as given. */
export async function findSourceIdByWriteKey(writeKey: string): Promise<string | undefined> {
  const hash = writeKeyHash(writeKey);
  return cached(`source-key/${hash}`, async () => {
    const result = await documents.send(
      new GetCommand({ TableName: tableName, Key: keys.sourceWriteKey(hash) }),
    );
    return result.Item?.sourceId as string | undefined;
  });
}

/** JSON with object keys sorted: DynamoDB maps do not keep key order, so equal documents must compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
