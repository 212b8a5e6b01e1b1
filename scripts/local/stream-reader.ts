import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { lambdaRecord } from './stream-poller.js';

/**
 * Reads a table's real stream on demand, so a test or a benchmark decides exactly when (and how often) a stream
 * consumer sees each record; records come back in the shape Lambda delivers them. `from: 'now'` starts at the
 * end of the shards open now (a table seeded with many items need not be read through first); new shards are
 * always read from their start.
 */
export function streamReader(streamArn: string, options: { endpoint: string; from: 'start' | 'now' }) {
  const client = new DynamoDBStreamsClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: options.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const iterators = new Map<string, string | null>();
  const shards = async () =>
    (await client.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
  const iteratorFor = async (shardId: string, type: 'TRIM_HORIZON' | 'LATEST') =>
    (
      await client.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type }),
      )
    ).ShardIterator ?? null;

  const started = (async () => {
    if (options.from === 'start') return;
    for (const shard of await shards()) {
      // A closed shard has nothing new to give; an open one is read from its end.
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      iterators.set(shard.ShardId!, closed ? null : await iteratorFor(shard.ShardId!, 'LATEST'));
    }
  })();

  /** Every record written since the last call, in order per shard. */
  async function next(): Promise<DynamoDBRecord[]> {
    await started;
    const records: DynamoDBRecord[] = [];
    for (const shard of await shards()) {
      const shardId = shard.ShardId!;
      if (!iterators.has(shardId)) iterators.set(shardId, await iteratorFor(shardId, 'TRIM_HORIZON'));
      let iterator = iterators.get(shardId) ?? null;
      while (iterator) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        for (const raw of page.Records ?? []) records.push(lambdaRecord(raw, streamArn, 'us-east-1'));
        iterator = page.NextShardIterator ?? null;
        if (!page.Records?.length) break;
      }
      iterators.set(shardId, iterator);
    }
    return records;
  }

  return { next, close: () => client.destroy() };
}

export type StreamReader = ReturnType<typeof streamReader>;
