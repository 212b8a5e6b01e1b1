import type { CounterIncrement, CounterItem, Dimension } from '../model/counters.js';
import { queryAll, tableName } from './client.js';
import { keys, type TableKey } from './keys.js';
import { type NamedItem, transactWrite } from './transaction.js';

/** Counters of onboarding sequences belong to no ICP: they live under this scope, which no ICP id can spell. */
export const ANY_ICP = '*';

export type CounterUpdate = { key: TableKey; add: Record<string, number> };

/** Increments as keyed updates of the day items of `icpId` (or ANY_ICP for sequence counters). */
export function counterUpdates(icpId: string, increments: readonly CounterIncrement[]): CounterUpdate[] {
  const byKey = new Map<string, CounterUpdate>();
  for (const increment of increments) {
    const key = keys.aggregateDay(
      icpId,
      increment.dimension,
      increment.value,
      increment.day,
      increment.shard,
    );
    const id = `${key.PK}|${key.SK}`;
    const update = byKey.get(id) ?? { key, add: {} };
    for (const [name, amount] of Object.entries(increment.add))
      update.add[name] = (update.add[name] ?? 0) + amount;
    byKey.set(id, update);
  }
  return [...byKey.values()];
}

/**
 * One `ADD` per counter item, for a caller's transaction: ADD creates the item and each attribute when missing,
 * so no read is needed, and the caller's transaction makes the addition happen exactly once with its cause.
 */
export function counterUpdateItems(updates: readonly CounterUpdate[]): NamedItem[] {
  return updates.map((update) => ({
    name: `counters:${update.key.PK}|${update.key.SK}`,
    item: { Update: addToCounters(update) },
  }));
}

/** The UpdateItem input that adds `add` to the counters of one item, creating what is missing. */
export function addToCounters(update: CounterUpdate) {
  const entries = Object.entries(update.add);
  return {
    TableName: tableName,
    Key: update.key,
    UpdateExpression: `ADD ${entries.map((_, index) => `#c${index} :c${index}`).join(', ')}`,
    // Names go through placeholders: histogram buckets contain a dot, which would otherwise be a path.
    ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#c${index}`, name])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, amount], index) => [`:c${index}`, amount])),
  };
}

/** Adds counters in transactions of their own (tests and benchmarks seeding a report). */
export async function addCounters(updates: readonly CounterUpdate[]): Promise<void> {
  for (let start = 0; start < updates.length; start += 100) {
    const outcome = await transactWrite(counterUpdateItems(updates.slice(start, start + 100)));
    if (!outcome.committed) throw new Error('Counters were being updated concurrently');
  }
}

/**
 * One group's day items from `from` to `to` (yyyy-mm-dd, inclusive), every shard: one Query bounded by the range,
 * so its cost is days x shards small items, whatever the number of prospects. Key attributes are stripped.
 */
export async function readAggregateDays(
  icpId: string,
  dimension: Dimension,
  value: string,
  from: string,
  to: string,
): Promise<CounterItem[]> {
  return queryDays(keys.aggregatePartition(icpId, dimension, value), from, to);
}

/** A form's failed submissions per day (`failed`, `field:<name>`), as the form endpoint counts them. */
export async function readFormFailureDays(formId: string, from: string, to: string): Promise<CounterItem[]> {
  return queryDays(keys.dailyCounterPartition('form-failures', formId), from, to);
}

async function queryDays(partition: string, from: string, to: string): Promise<CounterItem[]> {
  const range = keys.dayRange(from, to);
  const items = await queryAll({
    TableName: tableName,
    KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': partition, ':from': range.from, ':to': range.to },
  });
  return items.map(({ PK: _pk, SK: _sk, ...counters }) => counters as CounterItem);
}
