import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { config } from '../util/config.js';

// One client per process: its connection pool is reused across invocations of a warm Lambda.
export const dynamo = new DynamoDBClient({
  region: config.AWS_REGION,
  ...(config.DYNAMODB_ENDPOINT
    ? { endpoint: config.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {}),
});

export const documents = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

export const tableName = config.TABLE_NAME;

/** Every page of a Query in turn: a single Query returns at most 1 MB, long partitions need several. */
export async function* queryPages(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>[]> {
  let startKey = input.ExclusiveStartKey;
  do {
    const result = await documents.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield result.Items ?? [];
    startKey = result.LastEvaluatedKey;
  } while (startKey);
}

export async function queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages(input)) items.push(...page);
  return items;
}

export async function batchWrite(requests: Record<string, unknown>[]): Promise<void> {
  let pending: Record<string, unknown>[] | undefined = requests;
  for (let attempt = 0; pending?.length; attempt++) {
    if (attempt > 8) throw new Error('BatchWrite left unprocessed items after retries');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
    const result = await documents.send(
      new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }),
    );
    pending = result.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
  }
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
