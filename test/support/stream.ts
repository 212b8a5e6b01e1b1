import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { lambdaRecord } from '../../scripts/local/stream-poller.js';

/**
 * Reads this test table's real DynamoDB stream on demand, so a test decides exactly when (and how often) the
 * stream consumer sees each record. Records come back in the shape Lambda delivers them.
 */
export function streamReader(streamArn: string) {
  const client = new DynamoDBStreamsClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: process.env.DYNAMODB_ENDPOINT!,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const iterators = new Map<string, string | null>();

  /** Every record written since the last call, in order per shard. */
  async function next(): Promise<DynamoDBRecord[]> {
    const description = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      if (!iterators.has(shardId)) {
        const { ShardIterator } = await client.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        iterators.set(shardId, ShardIterator ?? null);
      }
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
