import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition } from './service-definition.js';

/** Creates the table as serverless.yml defines it, unless it exists; waits until it is active. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ streamArn?: string }> {
  const { create, ttlAttribute } = tableDefinition(tableName);
  try {
    await client.send(new CreateTableCommand(create as CreateTableCommandInput));
    if (ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
        }),
      );
    }
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE')
      return { ...(Table.LatestStreamArn ? { streamArn: Table.LatestStreamArn } : {}) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Table ${tableName} did not become active`);
}
