import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Grade } from '../model/icp.js';
import type { RankEntry, ShardRead } from '../model/ranking.js';
import { GRADE_DIGIT } from '../model/ranking.js';
import { documents, tableName } from './client.js';
import { keys } from './keys.js';

export type RankFilters = {
  grades: Grade[];
  segment?: string;
  qualified?: boolean;
  /** ISO time: only prospects whose last touchpoint is at or after it. */
  since?: string;
  /** Lowest engagement key (order-preserving encoding of the decayed sum) to include. */
  minEngagementKey?: string;
};

/**
 * One page of one ranking shard, best first: a single Query. `asOf` selects the entries valid at that instant,
 * so every page of a walk reads the same ranking. Consistent reads: an entry and the one that replaced it were
 * written by one transaction, and a walk must see both halves of it or neither.
 */
export async function queryRankShard(input: {
  icpId: string;
  version: number;
  shard: number;
  below: string | undefined;
  asOf: string;
  filters: RankFilters;
  limit: number;
}): Promise<ShardRead<RankEntry>> {
  const { filters } = input;
  const digits = filters.grades.map((grade) => GRADE_DIGIT[grade]).sort();
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':pk': keys.rankPartition(input.icpId, input.version, input.shard),
    ':from': `${digits[0]}#`,
    ':to': `${digits[digits.length - 1]}#~`,
    ':asOf': input.asOf,
  };
  const conditions = ['validFrom <= :asOf', '(attribute_not_exists(validTo) OR validTo > :asOf)'];
  // Grades are a key range; only a gap in the middle (A and C without B) needs a filter.
  if (digits.length < Number(digits[digits.length - 1]) - Number(digits[0]) + 1) {
    names['#grade'] = 'grade';
    conditions.push(`#grade IN (${filters.grades.map((_, index) => `:g${index}`).join(', ')})`);
    filters.grades.forEach((grade, index) => {
      values[`:g${index}`] = grade;
    });
  }
  if (filters.segment) {
    // `segments` is a DynamoDB reserved word: it must go through an attribute name placeholder.
    names['#segments'] = 'segments';
    conditions.push('contains(#segments, :segment)');
    values[':segment'] = filters.segment;
  }
  if (filters.qualified !== undefined) {
    conditions.push('qualified = :qualified');
    values[':qualified'] = filters.qualified;
  }
  if (filters.since) {
    conditions.push('lastTouchpointAt >= :since');
    values[':since'] = filters.since;
  }
  if (filters.minEngagementKey) {
    conditions.push('engagementKey >= :minEngagement');
    values[':minEngagement'] = filters.minEngagementKey;
  }
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      FilterExpression: conditions.join(' AND '),
      ExpressionAttributeValues: values,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ScanIndexForward: false,
      Limit: input.limit,
      ConsistentRead: true,
      ...(input.below ? { ExclusiveStartKey: { PK: values[':pk'], SK: input.below } } : {}),
    }),
  );
  return {
    shard: input.shard,
    items: (result.Items ?? []).map((item) => ({ sortKey: item.SK as string, value: item as RankEntry })),
    lastKey: result.LastEvaluatedKey?.SK as string | undefined,
  };
}
