import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { documents, dynamo } from '../../lib/store/client.js';
import { parseFilterPatterns } from '../../scripts/local/event-filter.js';
import {
  type StreamPoller,
  type StreamSubscriber,
  startStreamPoller,
} from '../../scripts/local/stream-poller.js';
import { ensureTable } from '../../scripts/local/table.js';

const region = 'us-east-1';
const streams = new DynamoDBStreamsClient({
  region,
  endpoint: process.env.DYNAMODB_ENDPOINT!,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const fast = {
  pollIntervalMs: 40,
  shardDiscoveryIntervalMs: 100,
  retryBackoff: { initialMs: 20, maxMs: 100 },
};
const quiet = () => undefined;

let tables = 0;
let poller: StreamPoller | undefined;

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

/** A table of its own for each test, so that each stream holds only what that test wrote. */
async function freshTable() {
  const tableName = `${process.env.TABLE_NAME}-stream-${++tables}`;
  const { streamArn } = await ensureTable(dynamo, tableName);
  return {
    tableName,
    streamArn: streamArn!,
    put: (item: Record<string, unknown>) =>
      documents.send(new PutCommand({ TableName: tableName, Item: item })),
  };
}

/** A tiny stand-in for a function: records every event it gets, answers what `respond` says. */
function testFunction(respond: (event: DynamoDBStreamEvent, call: number) => unknown = () => undefined) {
  const calls: DynamoDBRecord[][] = [];
  const invoke = async (event: DynamoDBStreamEvent) => {
    calls.push(event.Records);
    const answer = respond(event, calls.length);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, invoke };
}

function subscriber(
  invoke: StreamSubscriber['invoke'],
  options: Partial<Omit<StreamSubscriber, 'invoke'>> = {},
): StreamSubscriber {
  return {
    functionName: 'testFunction',
    batchSize: 100,
    filterPatterns: [],
    reportBatchItemFailures: true,
    ...options,
    invoke,
  };
}

async function eventually(check: () => void, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

const pk = (record: DynamoDBRecord) => record.dynamodb?.Keys?.PK?.S;

describe('the local stream poller', () => {
  it('delivers every write in order, in batches no larger than batchSize, as Lambda shapes them', async () => {
    const table = await freshTable();
    for (let index = 1; index <= 7; index++) await table.put({ PK: `item#${index}`, SK: 'A', n: index });
    await documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { PK: 'item#1', SK: 'A' },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': 100 },
      }),
    );
    await documents.send(new DeleteCommand({ TableName: table.tableName, Key: { PK: 'item#2', SK: 'A' } }));
    const target = testFunction();
    poller = startStreamPoller({
      client: streams,
      streamArn: table.streamArn,
      region,
      subscribers: [subscriber(target.invoke, { batchSize: 3 })],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(target.calls.flat()).toHaveLength(9));
    expect(target.calls.every((batch) => batch.length <= 3)).toBe(true);
    const records = target.calls.flat();
    expect(records.map((record) => `${record.eventName} ${pk(record)}`)).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7].map((index) => `INSERT item#${index}`),
      'MODIFY item#1',
      'REMOVE item#2',
    ]);
    const sequenceNumbers = records.map((record) => BigInt(record.dynamodb!.SequenceNumber!));
    expect([...sequenceNumbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(sequenceNumbers);
    expect(records[7]).toEqual({
      eventID: expect.any(String),
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: region,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { PK: { S: 'item#1' }, SK: { S: 'A' } },
        NewImage: { PK: { S: 'item#1' }, SK: { S: 'A' }, n: { N: '100' } },
        OldImage: { PK: { S: 'item#1' }, SK: { S: 'A' }, n: { N: '1' } },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: table.streamArn,
    });
    const created = records[7]!.dynamodb!.ApproximateCreationDateTime!;
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(120);
  });

  it('delivers only the records its filter patterns match', async () => {
    const table = await freshTable();
    await table.put({ PK: 'P#1', SK: 'PROFILE', entity: 'profile' });
    await table.put({ PK: 'P#1', SK: 'T#1', entity: 'touchpoint', type: 'form' });
    await table.put({ PK: 'DEDUP#x', SK: 'DEDUP', entity: 'dedup' });
    await table.put({ PK: 'P#1', SK: 'T#2', entity: 'touchpoint', type: 'page' });
    // A MODIFY of a touchpoint is not an INSERT.
    await table.put({ PK: 'P#1', SK: 'T#1', entity: 'touchpoint', type: 'form', moved: true });
    await table.put({ PK: 'P#2', SK: 'T#3', entity: 'touchpoint', type: 'track' });
    const target = testFunction();
    poller = startStreamPoller({
      client: streams,
      streamArn: table.streamArn,
      region,
      subscribers: [
        subscriber(target.invoke, {
          filterPatterns: parseFilterPatterns([
            { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['touchpoint'] } } } },
          ]),
        }),
      ],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(target.calls.flat()).toHaveLength(3));
    // Give a wrongly matched record time to show up too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(target.calls.flat().map((record) => record.dynamodb?.NewImage?.SK?.S)).toEqual([
      'T#1',
      'T#2',
      'T#3',
    ]);
  });

  it('redelivers from the first failed record when the function reports batch item failures', async () => {
    const table = await freshTable();
    for (let index = 1; index <= 6; index++) await table.put({ PK: `item#${index}`, SK: 'A' });
    const processed: string[] = [];
    const target = testFunction((event, call) => {
      const failAt = call === 1 ? 2 : -1; // the third record fails, once
      const failures = event.Records.flatMap((record, index) =>
        index >= failAt && failAt >= 0 ? [{ itemIdentifier: record.dynamodb!.SequenceNumber! }] : [],
      );
      for (const record of event.Records.slice(0, failAt >= 0 ? failAt : undefined))
        processed.push(pk(record)!);
      return { batchItemFailures: failures };
    });
    poller = startStreamPoller({
      client: streams,
      streamArn: table.streamArn,
      region,
      subscribers: [subscriber(target.invoke, { batchSize: 10 })],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(processed).toHaveLength(6));
    expect(processed).toEqual(['item#1', 'item#2', 'item#3', 'item#4', 'item#5', 'item#6']);
    expect(target.calls).toHaveLength(2);
    expect(target.calls[0]!.map(pk)).toEqual(processed);
    expect(target.calls[1]!.map(pk)).toEqual(['item#3', 'item#4', 'item#5', 'item#6']);
  });

  it('redelivers the whole batch after a thrown error, and after an identifier naming no record', async () => {
    const table = await freshTable();
    for (let index = 1; index <= 3; index++) await table.put({ PK: `item#${index}`, SK: 'A' });
    const target = testFunction((_event, call) => {
      if (call === 1) return new Error('boom');
      if (call === 2) return { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] };
      return { batchItemFailures: [] };
    });
    poller = startStreamPoller({
      client: streams,
      streamArn: table.streamArn,
      region,
      subscribers: [subscriber(target.invoke, { batchSize: 10 })],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(target.calls).toHaveLength(3));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.calls.map((batch) => batch.map(pk))).toEqual([
      ['item#1', 'item#2', 'item#3'],
      ['item#1', 'item#2', 'item#3'],
      ['item#1', 'item#2', 'item#3'],
    ]);
  });

  it('ignores batchItemFailures from a function without ReportBatchItemFailures, as Lambda does', async () => {
    const table = await freshTable();
    await table.put({ PK: 'item#1', SK: 'A' });
    await table.put({ PK: 'item#2', SK: 'A' });
    const target = testFunction((event) => ({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.dynamodb!.SequenceNumber! }],
    }));
    poller = startStreamPoller({
      client: streams,
      streamArn: table.streamArn,
      region,
      subscribers: [subscriber(target.invoke, { reportBatchItemFailures: false })],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(target.calls.flat()).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.calls).toHaveLength(1);
  });

  it('keeps a failing function from holding back another subscriber of the same stream', async () => {
    const table = await freshTable();
    await table.put({ PK: 'item#1', SK: 'A' });
    const failing = testFunction(() => new Error('always'));
    const healthy = testFunction();
    poller = startStreamPoller({
      client: streams,
      streamArn: table.streamArn,
      region,
      subscribers: [
        subscriber(failing.invoke, { functionName: 'failing' }),
        subscriber(healthy.invoke, { functionName: 'healthy' }),
      ],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(healthy.calls).toHaveLength(1));
    await eventually(() => expect(failing.calls.length).toBeGreaterThanOrEqual(3));
    expect(healthy.calls).toHaveLength(1);
  });
});

describe('the local stream poller across shards', () => {
  it('reads a child shard only after its closed parent is fully delivered', async () => {
    const client = new DynamoDBStreamsClient({
      region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const mock = mockClient(client);
    const streamArn = 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000';
    const record = (shard: string, sequence: number) => ({
      eventID: `${shard}-${sequence}`,
      eventName: 'INSERT' as const,
      dynamodb: {
        Keys: { PK: { S: `${shard}#${sequence}` } },
        SequenceNumber: String(sequence),
        SizeBytes: 10,
        StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
      },
    });
    // The child is listed first: order of listing must not matter, only parentage.
    mock.on(DescribeStreamCommand).resolves({
      StreamDescription: {
        Shards: [
          { ShardId: 'child', ParentShardId: 'parent', SequenceNumberRange: { StartingSequenceNumber: '3' } },
          {
            ShardId: 'parent',
            SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '2' },
          },
        ],
      },
    });
    mock
      .on(GetShardIteratorCommand)
      .callsFake(async (input: { ShardId: string }) => ({ ShardIterator: `${input.ShardId}-0` }));
    mock.on(GetRecordsCommand).callsFake(async (input: { ShardIterator: string }) => {
      switch (input.ShardIterator) {
        case 'parent-0':
          return { Records: [record('parent', 1)], NextShardIterator: 'parent-1' };
        case 'parent-1':
          // Closed and read to the end: no next iterator.
          return { Records: [record('parent', 2)] };
        case 'child-0':
          return { Records: [record('child', 3), record('child', 4)], NextShardIterator: 'child-1' };
        default:
          return { Records: [], NextShardIterator: input.ShardIterator };
      }
    });
    const target = testFunction();
    poller = startStreamPoller({
      client,
      streamArn,
      region,
      subscribers: [subscriber(target.invoke, { batchSize: 1 })],
      ...fast,
      log: quiet,
    });

    await eventually(() => expect(target.calls.flat()).toHaveLength(4));
    expect(target.calls.flat().map(pk)).toEqual(['parent#1', 'parent#2', 'child#3', 'child#4']);
    const childIterators = mock
      .commandCalls(GetShardIteratorCommand)
      .filter((call) => call.args[0].input.ShardId === 'child');
    expect(childIterators).toHaveLength(1);
  });
});
