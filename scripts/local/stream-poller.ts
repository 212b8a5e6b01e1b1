/**
 * The local stand-in for Lambda's DynamoDB Streams event source mapping: reads the table's stream (DynamoDB
 * Local) and invokes each subscribed function with the event Lambda would send.
 *
 * Like Lambda, each subscription reads the stream on its own (one slow or failing function never holds back
 * another), starts at TRIM_HORIZON, reads every shard in order, starts a child shard only after its parent is
 * fully delivered, drops records its filter patterns reject before batching, and never lets a batch past a
 * failure: a thrown error redelivers the whole batch; with ReportBatchItemFailures, delivery resumes at the
 * lowest failed sequence number. Retries back off exponentially and go on until they succeed, unless the
 * subscription sets maximumRetryAttempts (then the batch is dropped, as Lambda drops it after its last retry).
 * Not emulated: batching windows, bisectBatchOnFunctionError, parallelizationFactor, on-failure destinations,
 * and checkpoints across restarts: every start reads from TRIM_HORIZON, so with a DynamoDB Local that outlives
 * the stack (DYNAMODB_ENDPOINT) old records are delivered again, which consumers must survive on AWS anyway.
 */
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type AttributeValue as StreamAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type FilterPattern, matchesAnyPattern } from './event-filter.js';

export type StreamSubscriber = {
  functionName: string;
  batchSize: number;
  filterPatterns: readonly FilterPattern[];
  reportBatchItemFailures: boolean;
  /** Lambda's default (-1, or absent) retries until the record expires from the stream. */
  maximumRetryAttempts?: number;
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
};

export type StreamPollerOptions = {
  client: DynamoDBStreamsClient;
  streamArn: string;
  region: string;
  subscribers: readonly StreamSubscriber[];
  /** Lambda polls each shard about four times a second. */
  pollIntervalMs?: number;
  shardDiscoveryIntervalMs?: number;
  retryBackoff?: { initialMs: number; maxMs: number };
  log?: (message: string) => void;
};

export type StreamPoller = { stop: () => Promise<void> };

const GET_RECORDS_LIMIT = 1000;

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const discoveryMs = options.shardDiscoveryIntervalMs ?? 1000;
  const backoff = options.retryBackoff ?? { initialMs: 200, maxMs: 10_000 };
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const { client, streamArn } = options;

  let stopped = false;
  const wakers = new Set<() => void>();
  let wakeDiscovery: (() => void) | undefined;
  const sleep = (ms: number, register?: (wake: () => void) => void) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakers.add(wake);
      register?.(wake);
    });

  type ShardState = 'running' | 'done';
  const states = options.subscribers.map(() => new Map<string, ShardState>());
  const loops = new Set<Promise<void>>();
  const track = (loop: Promise<void>) => {
    loops.add(loop);
    void loop.finally(() => loops.delete(loop));
  };

  async function listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await client.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(exclusiveStartShardId ? { ExclusiveStartShardId: exclusiveStartShardId } : {}),
        }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId && !stopped);
    return shards;
  }

  async function discover() {
    while (!stopped) {
      try {
        const shards = await listShards();
        const known = new Set(shards.map((shard) => shard.ShardId));
        options.subscribers.forEach((subscriber, index) => {
          const state = states[index]!;
          for (const shard of shards) {
            const id = shard.ShardId!;
            if (state.has(id)) continue;
            const parent = shard.ParentShardId;
            // A parent that has aged out of the stream cannot hold anything back any more.
            if (parent && known.has(parent) && state.get(parent) !== 'done') continue;
            state.set(id, 'running');
            track(
              readShard(subscriber, id).then(
                () => {
                  state.set(id, 'done');
                  // Its children may start now rather than at the next discovery.
                  wakeDiscovery?.();
                },
                (error: Error) => {
                  // Picked up again at the next discovery, from TRIM_HORIZON: redelivery is what Lambda does too.
                  state.delete(id);
                  if (!stopped)
                    log(`stream: ${subscriber.functionName} shard ${id} failed: ${error.message}`);
                },
              ),
            );
          }
        });
      } catch (error) {
        if (!stopped) log(`stream: describing ${streamArn} failed: ${(error as Error).message}`);
      }
      await sleep(discoveryMs, (wake) => {
        wakeDiscovery = wake;
      });
    }
  }

  async function shardIterator(shardId: string, afterSequenceNumber: string | undefined) {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(afterSequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: afterSequenceNumber }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return ShardIterator;
  }

  async function readShard(subscriber: StreamSubscriber, shardId: string) {
    let lastRead: string | undefined;
    let iterator = await shardIterator(shardId, undefined);
    const pending: DynamoDBRecord[] = [];
    let failures = 0;
    while (!stopped) {
      let readSomething = false;
      if (iterator && pending.length < subscriber.batchSize) {
        try {
          const page = await client.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }),
          );
          iterator = page.NextShardIterator;
          for (const raw of page.Records ?? []) {
            readSomething = true;
            lastRead = raw.dynamodb?.SequenceNumber ?? lastRead;
            const record = lambdaRecord(raw, streamArn, options.region);
            if (matchesAnyPattern(subscriber.filterPatterns, record)) pending.push(record);
          }
        } catch (error) {
          if ((error as Error).name !== 'ExpiredIteratorException') throw error;
          iterator = await shardIterator(shardId, lastRead);
          continue;
        }
      }
      if (!pending.length) {
        if (!iterator) return; // a closed shard, fully delivered
        if (!readSomething) await sleep(pollIntervalMs);
        continue;
      }
      const batch = pending.slice(0, subscriber.batchSize);
      const delivered = await deliver(subscriber, batch);
      pending.splice(0, delivered);
      if (delivered === batch.length) {
        failures = 0;
        continue;
      }
      failures++;
      const limit = subscriber.maximumRetryAttempts ?? -1;
      if (limit >= 0 && failures > limit) {
        log(
          `stream: ${subscriber.functionName} dropped ${batch.length - delivered} record(s) after ${limit} retries`,
        );
        pending.splice(0, batch.length - delivered);
        failures = 0;
        continue;
      }
      await sleep(Math.min(backoff.initialMs * 2 ** (failures - 1), backoff.maxMs));
    }
  }

  /** Invokes the function once; returns how many records from the head of the batch are done with. */
  async function deliver(subscriber: StreamSubscriber, batch: DynamoDBRecord[]): Promise<number> {
    let result: unknown;
    try {
      result = await subscriber.invoke({ Records: batch });
    } catch (error) {
      log(
        `stream: ${subscriber.functionName} failed on a batch of ${batch.length}: ${(error as Error).message}`,
      );
      return 0;
    }
    if (!subscriber.reportBatchItemFailures) return batch.length;
    const failed = (result as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
    if (!Array.isArray(failed) || failed.length === 0) return batch.length;
    let first = batch.length;
    for (const failure of failed) {
      const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      const index = batch.findIndex((record) => record.dynamodb?.SequenceNumber === identifier);
      // An identifier that names no record of the batch fails the whole batch, as in Lambda.
      if (typeof identifier !== 'string' || !identifier || index < 0) return 0;
      first = Math.min(first, index);
    }
    log(
      `stream: ${subscriber.functionName} reported ${failed.length} failure(s); redelivering from #${first}`,
    );
    return first;
  }

  track(discover());

  return {
    stop: async () => {
      stopped = true;
      for (const wake of [...wakers]) wake();
      // A loop may be inside an invocation; it ends when that does.
      while (loops.size) await Promise.allSettled([...loops]);
    },
  };
}

/** The record exactly as Lambda puts it in `event.Records[]`. */
export function lambdaRecord(raw: _Record, streamArn: string, region: string): DynamoDBRecord {
  const data = raw.dynamodb ?? {};
  const created = data.ApproximateCreationDateTime;
  return {
    eventID: raw.eventID,
    eventName: raw.eventName as DynamoDBRecord['eventName'],
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(created ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
      ...(data.Keys ? { Keys: imageJson(data.Keys) } : {}),
      ...(data.NewImage ? { NewImage: imageJson(data.NewImage) } : {}),
      ...(data.OldImage ? { OldImage: imageJson(data.OldImage) } : {}),
      SequenceNumber: data.SequenceNumber,
      SizeBytes: data.SizeBytes,
      StreamViewType: data.StreamViewType,
    },
    ...(raw.userIdentity
      ? { userIdentity: { type: raw.userIdentity.Type, principalId: raw.userIdentity.PrincipalId } }
      : {}),
    eventSourceARN: streamArn,
  };
}

function imageJson(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, attributeJson(value)]));
}

// The SDK hands binaries over as bytes; Lambda's JSON event carries them base64-encoded.
function attributeJson(value: StreamAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.M !== undefined) return { M: imageJson(value.M) };
  if (value.L !== undefined) return { L: value.L.map(attributeJson) };
  return value as AttributeValue;
}
