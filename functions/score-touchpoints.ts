import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { scoreStreamBatch } from '../lib/edge/events/score-stream.js';

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler((event) =>
  scoreStreamBatch(event),
);
