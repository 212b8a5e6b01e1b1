import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../scripts/local/dynamodb-local.js';

let dynamoDbLocal: DynamoDbLocal | undefined;

/** One DynamoDB Local for the whole run; each test file gets its own table (see setup.ts). */
export async function setup(project: TestProject) {
  if (!process.env.DYNAMODB_ENDPOINT) {
    dynamoDbLocal = await startDynamoDbLocal();
    process.env.DYNAMODB_ENDPOINT = dynamoDbLocal.endpoint;
  }
  project.provide('dynamodbEndpoint', process.env.DYNAMODB_ENDPOINT);
}

export async function teardown() {
  await dynamoDbLocal?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
