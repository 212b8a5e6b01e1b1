import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { handler as captureEvents } from '../../functions/capture-events.js';
import { handler as captureForm } from '../../functions/capture-form.js';
import { handler as getProspect } from '../../functions/get-prospect.js';
import { handler as listProspects } from '../../functions/list-prospects.js';
import { handler as scoreTouchpoints } from '../../functions/score-touchpoints.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { httpHandler } from '../../lib/edge/http/handler.js';
import { handleLogActivity } from '../../lib/edge/prospects/activity-endpoint.js';
import { runRescores } from '../../lib/pipeline/rescore.js';
import { lambdaContext } from '../../scripts/local/api-gateway.js';
import { basicAuth, invoke, jsonRequest } from './http.js';
import { streamReader } from './stream.js';
import { useTestTable } from './table.js';

export const readToken = signLocalToken(['prospects:read']);
export const writeToken = signLocalToken(['prospects:write']);

/** The demo form's fields for a mid-market CTO: grade A on the example ICP saas-midmarket. */
export const ctoFields = (tag: string) => ({
  email: `cto-${tag}@acme.example`,
  first_name: 'Cora',
  job_title: 'CTO',
  company: 'Acme',
  company_size: '250',
  industry: 'Software',
  country: 'DE',
});

/**
 * A test table with the example config, every ICP served (its first rescore run), and a reader of the table's
 * real stream that feeds the real scoreTouchpoints handler on demand.
 */
export async function useScoringTable() {
  const { streamArn } = await useTestTable();
  await runRescores(() => new Date(), Date.now() + 10_000);
  const stream = streamReader(streamArn!);
  await stream.next();
  return stream;
}

export async function deliver(records: DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  const event: DynamoDBStreamEvent = { Records: records };
  return (await scoreTouchpoints(event, lambdaContext('scoreTouchpoints'))) as DynamoDBBatchResponse;
}

/** Delivers everything new on the stream until nothing new appears (announcements are touchpoints too). */
export async function drainIntoScores(stream: ReturnType<typeof streamReader>): Promise<DynamoDBRecord[]> {
  const all: DynamoDBRecord[] = [];
  for (let round = 0; round < 10; round++) {
    const records = await stream.next();
    if (!records.length) return all;
    all.push(...records);
    for (let start = 0; start < records.length; start += 100) {
      const result = await deliver(records.slice(start, start + 100));
      if (result.batchItemFailures.length) throw new Error(`scoring failed: ${JSON.stringify(result)}`);
    }
  }
  throw new Error('the stream kept producing records');
}

export async function submitForm(fields: Record<string, unknown>) {
  const response = await invoke(captureForm, {
    ...jsonRequest('POST', '/v1/forms/demo-request', fields),
    pathParameters: { formId: 'demo-request' },
  });
  if (response.statusCode !== 202) throw new Error(`form: ${response.statusCode} ${response.body}`);
  return response.json().prospectId as string;
}

export async function sendEvents(batch: Record<string, unknown>[]) {
  const response = await invoke(
    captureEvents,
    jsonRequest('POST', '/v1/batch', { batch }, { authorization: basicAuth('demo-write-key') }),
  );
  if (response.statusCode !== 200) throw new Error(`batch: ${response.statusCode} ${response.body}`);
}

export async function readProspect(prospectId: string, query = '') {
  return invoke(getProspect, {
    method: 'GET',
    url: `/v1/prospects/${prospectId}${query}`,
    headers: { authorization: `Bearer ${readToken}` },
    pathParameters: { id: prospectId },
  });
}

export async function listRanked(query: string, headers: Record<string, string> = {}) {
  return invoke(listProspects, {
    method: 'GET',
    url: `/v1/prospects?${query}`,
    headers: { authorization: `Bearer ${readToken}`, ...headers },
  });
}

/** A sales activity logged as the rep's CRM would, received at `when` (which may lie ahead of the clock). */
export async function logSalesActivity(prospectId: string, type: string, when: Date) {
  const handler = httpHandler((event) => handleLogActivity(event, when));
  const response = await invoke(handler, {
    ...jsonRequest(
      'POST',
      `/v1/prospects/${prospectId}/touchpoints`,
      { type, occurredAt: when.toISOString() },
      { authorization: `Bearer ${writeToken}` },
    ),
    pathParameters: { id: prospectId },
  });
  if (response.statusCode !== 202) throw new Error(`activity: ${response.statusCode} ${response.body}`);
}
