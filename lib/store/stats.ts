import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addToCounters } from './aggregates.js';
import { documents, tableName } from './client.js';
import { keys } from './keys.js';

/** Adds to named counters of one day; counter names become attribute names, so callers pass config-defined names only. */
export async function incrementDailyCounters(
  name: string,
  scope: string,
  day: Date,
  counters: Record<string, number>,
) {
  if (!Object.keys(counters).length) return;
  const key = keys.dailyCounter(name, scope, day.toISOString().slice(0, 10));
  await documents.send(new UpdateCommand(addToCounters({ key, add: counters })));
}

export async function getDailyCounters(
  name: string,
  scope: string,
  day: Date,
): Promise<Record<string, number>> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.dailyCounter(name, scope, day.toISOString().slice(0, 10)),
    }),
  );
  const { PK: _pk, SK: _sk, ...counters } = result.Item ?? {};
  return counters as Record<string, number>;
}
