import { shardOf } from '../model/shard.js';
import { queryPages, tableName } from './client.js';
import { keys, prospectIdFromPartition, sequenceIdFromEnrollmentKey } from './keys.js';

export const DUE_SHARDS = 4;

/** The sparse due-index keys of an active enrollment whose next step is due at `dueAt`. */
export function enrollmentDueKeys(prospectId: string, sequenceId: string, dueAt: string) {
  return keys.onboardingDue(shardOf(prospectId, DUE_SHARDS), dueAt, prospectId, sequenceId);
}

export type DueEntry = { prospectId: string; sequenceId: string; dueAt: string };

/**
 * Enrollments whose next step is due at `now`, from the sparse due index (keys only): a Query per shard
 * bounded by `now`, so enrollments that are not due are never read. `onPage` counts the reads.
 */
export async function* dueEnrollments(
  now: Date,
  options: { pageSize?: number; onPage?: (items: number) => void } = {},
): AsyncGenerator<DueEntry> {
  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    const pages = queryPages({
      TableName: tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK <= :upper',
      ExpressionAttributeValues: {
        ':pk': keys.onboardingDuePartition(shard),
        ':upper': `${now.toISOString()}#~`,
      },
      Limit: options.pageSize ?? 100,
    });
    for await (const items of pages) {
      options.onPage?.(items.length);
      for (const item of items) {
        const sequenceId = sequenceIdFromEnrollmentKey(item.SK as string);
        if (!sequenceId) continue;
        yield {
          prospectId: prospectIdFromPartition(item.PK as string),
          sequenceId,
          dueAt: String(item.GSI1SK).split('#')[0]!,
        };
      }
    }
  }
}
