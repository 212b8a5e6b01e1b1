import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { handler as captureEvents } from '../../functions/capture-events.js';
import { handler as captureForm } from '../../functions/capture-form.js';
import { basicAuth, invoke, jsonRequest } from '../support/http.js';

// DynamoDB Local never throttles and never fails mid-transaction; these paths are exercised with a mocked client.
const dynamo = mockClient(DynamoDBDocumentClient);

const form = {
  id: 'demo-request',
  name: 'Demo',
  fields: { email: 'email' },
  allowedOrigins: ['http://localhost:*'],
  thankYouUrl: 'http://localhost:3001/thanks.html',
};
const postForm = () =>
  invoke(captureForm, {
    ...jsonRequest('POST', '/v1/forms/demo-request', { email: 'ada@example.com' }),
    pathParameters: { formId: 'demo-request' },
  });

afterEach(() => {
  dynamo.reset();
});

describe('when DynamoDB throttles', () => {
  it('answers 503 with Retry-After, so Segment clients and browsers retry', async () => {
    dynamo.on(GetCommand).resolves({ Item: { document: form, version: 1 } });
    dynamo
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    const response = await postForm();
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).not.toContain('slow down');
    expect(dynamo).toHaveReceivedCommand(TransactWriteCommand);
  });

  it('answers 503 when a transaction keeps conflicting with other writers', async () => {
    dynamo.on(GetCommand).resolves({ Item: { sourceId: 'website', document: form, version: 1 } });
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      }),
    );
    const response = await invoke(
      captureEvents,
      jsonRequest('POST', '/v1/track', { event: 'x', anonymousId: 'a' }, { authorization: basicAuth('k') }),
    );
    expect(response.statusCode).toBe(503);
    // Conflicts are retried before giving up.
    expect(dynamo.commandCalls(TransactWriteCommand).length).toBeGreaterThan(1);
  });
});

describe('when something unexpected fails', () => {
  it('answers a bare 500 without internals', async () => {
    dynamo.on(GetCommand).resolves({ Item: { document: form, version: 1 } });
    dynamo.on(TransactWriteCommand).rejects(new Error('socket hang up at 10.0.0.1:443'));
    dynamo.on(UpdateCommand).resolves({});
    const response = await postForm();
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ message: 'Internal error', errors: [] });
    expect(dynamo).toHaveReceivedCommand(TransactWriteCommand);
  });
});
