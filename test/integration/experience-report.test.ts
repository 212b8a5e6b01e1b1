import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as convertProspect } from '../../functions/convert-prospect.js';
import { handler as experienceReport } from '../../functions/experience-report.js';
import { handler as manageConfig } from '../../functions/manage-config.js';
import { handleFormRequest } from '../../lib/edge/capture/form-endpoint.js';
import type { GroupReport } from '../../lib/edge/experience/report-endpoint.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { httpHandler } from '../../lib/edge/http/handler.js';
import { expectationIncrements } from '../../lib/experience/increments.js';
import { ANY_ICP, addCounters, counterUpdates } from '../../lib/store/aggregates.js';
import { documents, tableName } from '../../lib/store/client.js';
import { invoke, jsonRequest } from '../support/http.js';
import {
  deliver,
  drainIntoScores,
  logSalesActivity,
  readProspect,
  readToken,
  useScoringTable,
  writeToken,
} from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

const adminToken = signLocalToken(['admin']);

// Everything happens within the last two hours, so decay (14-day half-life) costs under 0.5 % of any score and
// the qualifications below are not at the edge.
const now = new Date();
const T = new Date(Math.floor((now.getTime() - 2 * 3_600_000) / 1000) * 1000);
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const day = (date: Date) => date.toISOString().slice(0, 10);
const from = day(T);
const to = day(now);

let stream: ReturnType<typeof streamReader>;
let records: DynamoDBRecord[] = [];
const ids: Record<string, string> = {};

/** A form post as the browser sends it, received at `when`. */
async function postForm(formId: string, fields: Record<string, unknown>, when: Date) {
  const handler = httpHandler((event) => handleFormRequest(event, when));
  return invoke(handler, {
    ...jsonRequest('POST', `/v1/forms/${formId}`, fields),
    pathParameters: { formId },
  });
}

async function submit(formId: string, fields: Record<string, unknown>, when: Date): Promise<string> {
  const response = await postForm(formId, fields, when);
  expect(response.statusCode, response.body).toBe(202);
  return response.json().prospectId;
}

async function convert(email: string, when: Date) {
  const response = await invoke(
    convertProspect,
    jsonRequest(
      'POST',
      '/v1/conversions',
      { email, plan: 'pro', occurredAt: when.toISOString() },
      { authorization: `Bearer ${writeToken}` },
    ),
  );
  expect(response.statusCode, response.body).toBe(202);
}

async function report(query: string, headers: Record<string, string> = {}) {
  return invoke(experienceReport, {
    method: 'GET',
    url: `/v1/experience?${query}`,
    headers: { authorization: `Bearer ${readToken}`, ...headers },
  });
}

async function groups(groupBy: string, range = `from=${from}&to=${to}`) {
  const response = await report(`icp=saas-midmarket&groupBy=${groupBy}&${range}`);
  expect(response.statusCode, response.body).toBe(200);
  return Object.fromEntries((response.json().groups as GroupReport[]).map((group) => [group.group, group]));
}

const none = { score: null, answers: 0 };
const noCsat = { mean: null, answers: 0 };
const noResponse = { responses: 0, medianSeconds: null, p90Seconds: null };
const noConversion = { rate: null, qualified: 0, converted: 0 };
// Histogram buckets are 2^(1/8) wide and report their geometric midpoint (lib/experience/histogram.ts):
// 600 s lies in [2^(73/8), 2^(74/8)) = [558.4, 608.9), reported as 2^(73.5/8) = 583.06;
// 1800 s in [2^(86/8), 2^(87/8)) = [1722.2, 1878.1), reported as 2^(86.5/8) = 1798.40;
// 5400 s in [2^(99/8), 2^(100/8)) = [5311.9, 5792.6), reported as 2^(99.5/8) = 5547.03.
const S600 = 583.06;
const S1800 = 1798.4;
const S5400 = 5547.03;

beforeAll(async () => {
  stream = await useScoringTable();
  const survey = await invoke(manageConfig, {
    ...jsonRequest(
      'PUT',
      '/v1/config/forms/nps-survey',
      {
        id: 'nps-survey',
        name: 'How are we doing?',
        allowedOrigins: ['http://localhost:*'],
        thankYouUrl: 'http://localhost:3001/thanks.html',
        survey: { npsField: 'score', csatField: 'satisfaction' },
      },
      { authorization: `Bearer ${adminToken}` },
    ),
    pathParameters: { kind: 'forms', id: 'nps-survey' },
  });
  expect(survey.statusCode, survey.body).toBeLessThan(300);

  // p1: CTO, 250 employees, software: fit 75, grade A, no segment.
  ids.p1 = await submit(
    'demo-request',
    { email: 'p1@acme-a.example', job_title: 'CTO', company_size: '250', industry: 'Software' },
    at(0),
  );
  // p2: VP, 1,500 employees, software: fit 45 (too big for the size rule), grade B, segment enterprise.
  ids.p2 = await submit(
    'demo-request',
    { email: 'p2@big-b.example', job_title: 'VP Engineering', company_size: '1500', industry: 'Software' },
    at(60),
  );
  // p3: free mail (-30), 20 employees: grade D, segment smb.
  ids.p3 = await submit(
    'demo-request',
    { email: 'p3@gmail.com', job_title: 'Engineer', company_size: '20' },
    at(120),
  );
  // p4: director, 300 employees, software: fit 75, grade A.
  ids.p4 = await submit(
    'demo-request',
    { email: 'p4@mid-a.example', job_title: 'Director of Sales', company_size: '300', industry: 'Software' },
    at(180),
  );
  // Failed submissions: two of demo-request (missing email, malformed email), one of the survey (NPS 11).
  expect((await postForm('demo-request', { first_name: 'Ann' }, at(30))).statusCode).toBe(400);
  expect((await postForm('demo-request', { email: 'nope' }, at(40))).statusCode).toBe(400);
  expect((await postForm('nps-survey', { email: 'p1@acme-a.example', score: '11' }, at(50))).statusCode).toBe(
    400,
  );
  // First responses: p1 after 600 s (a call, +15: 55 points, qualifies), p2 after 1,800 s (an email reply, no
  // points), p4 after 5,400 s (a call: qualifies); p3 gets none. A note before p2's reply answers nobody.
  await logSalesActivity(ids.p1, 'call', at(600));
  await logSalesActivity(ids.p2, 'note', at(60 + 100));
  await logSalesActivity(ids.p2, 'email-reply', at(60 + 1800));
  await logSalesActivity(ids.p4, 'call', at(180 + 5400));
  // Survey answers, through the survey form.
  await submit('nps-survey', { email: 'p3@gmail.com', score: '8', satisfaction: '5' }, at(1000)); // prospect
  await submit('nps-survey', { email: 'p4@mid-a.example', score: '10', satisfaction: '4' }, at(6000)); // prospect
  // p1 converts after qualifying, p2 without ever qualifying; both answer as customers afterwards.
  await convert('p1@acme-a.example', at(1800));
  await convert('p2@big-b.example', at(3000));
  await submit('nps-survey', { email: 'p1@acme-a.example', score: '3' }, at(2400));
  await submit('nps-survey', { email: 'p2@big-b.example', score: '6', satisfaction: '2' }, at(3600));
  records = await drainIntoScores(stream);
});

describe('GET /v1/experience', () => {
  it('reports each grade from the counters the stream kept, as computed by hand', async () => {
    const byGrade = await groups('grade');
    expect(byGrade.A).toEqual({
      group: 'A',
      prospects: 2, // p1, p4
      customers: 1, // p1
      nps: { prospects: { score: 100, answers: 1 }, customers: { score: -100, answers: 1 } }, // p4: 10; p1: 3
      csat: { prospects: { mean: 4, answers: 1 }, customers: noCsat },
      // Nearest rank of 2 samples: median is the 1st (600 s), p90 the 2nd (5,400 s).
      firstResponse: {
        responses: 2,
        medianSeconds: expect.closeTo(S600, 2),
        p90Seconds: expect.closeTo(S5400, 2),
      },
      conversion: { rate: 0.5, qualified: 2, converted: 1 }, // p1 and p4 qualified, p1 converted
      onboarding: { skipped: 0, reasons: {} },
    });
    expect(byGrade.B).toEqual({
      group: 'B',
      prospects: 1,
      customers: 1,
      nps: { prospects: none, customers: { score: -100, answers: 1 } }, // p2: 6 as a customer
      csat: { prospects: noCsat, customers: { mean: 2, answers: 1 } },
      firstResponse: {
        responses: 1,
        medianSeconds: expect.closeTo(S1800, 2),
        p90Seconds: expect.closeTo(S1800, 2),
      },
      conversion: noConversion, // p2 became a customer without qualifying first
      onboarding: { skipped: 0, reasons: {} },
    });
    expect(byGrade.C).toEqual({
      group: 'C',
      prospects: 0,
      customers: 0,
      nps: { prospects: none, customers: none },
      csat: { prospects: noCsat, customers: noCsat },
      firstResponse: noResponse,
      conversion: noConversion,
      onboarding: { skipped: 0, reasons: {} },
    });
    expect(byGrade.D).toMatchObject({
      prospects: 1,
      nps: { prospects: { score: 0, answers: 1 }, customers: none }, // p3: 8 is passive
      csat: { prospects: { mean: 5, answers: 1 } },
      firstResponse: noResponse,
    });
  });

  it('reports each segment, and every form with its friction per field', async () => {
    const bySegment = await groups('segment');
    expect(Object.keys(bySegment)).toEqual(['enterprise', 'smb']);
    expect(bySegment.enterprise).toMatchObject({
      prospects: 1,
      customers: 1,
      firstResponse: { responses: 1 },
    });
    expect(bySegment.smb).toMatchObject({ prospects: 1, customers: 0, csat: { prospects: { mean: 5 } } });

    const byForm = await groups('form');
    expect(byForm['demo-request']).toEqual({
      group: 'demo-request',
      prospects: 4, // everyone's first form
      customers: 2,
      // Prospects: p4 promoter, p3 passive: (1 - 0) / 2. Customers: p1 and p2 detractors.
      nps: { prospects: { score: 50, answers: 2 }, customers: { score: -100, answers: 2 } },
      csat: { prospects: { mean: 4.5, answers: 2 }, customers: { mean: 2, answers: 1 } },
      // Three samples: median is the 2nd (1,800 s), p90 the 3rd (ceil(2.7)).
      firstResponse: {
        responses: 3,
        medianSeconds: expect.closeTo(S1800, 2),
        p90Seconds: expect.closeTo(S5400, 2),
      },
      conversion: { rate: 0.5, qualified: 2, converted: 1 },
      onboarding: { skipped: 0, reasons: {} },
      // 4 stored, 2 failed (missing and malformed email).
      friction: {
        ratio: 0.5,
        failed: 2,
        succeeded: 4,
        fields: [{ field: 'email', ratio: 0.5, failed: 2, succeeded: 4 }],
      },
    });
    expect(byForm['nps-survey']).toMatchObject({
      prospects: 0,
      customers: 0,
      friction: {
        ratio: 0.25, // 4 stored, 1 failed
        failed: 1,
        succeeded: 4,
        fields: [{ field: 'score', ratio: 0.25, failed: 1, succeeded: 4 }],
      },
    });
  });

  it('reads only the days asked for', async () => {
    const before = new Date(T.getTime() - 10 * 86_400_000);
    const earlier = await groups(
      'grade',
      `from=${day(before)}&to=${day(new Date(T.getTime() - 86_400_000))}`,
    );
    expect(earlier.A).toMatchObject({ prospects: 0, customers: 0, conversion: noConversion });
  });

  it('reports expectations of onboarding sequences, with open ones apart', async () => {
    const expectation = (prospectId: string, count: 'given' | 'met' | 'broken') =>
      expectationIncrements({
        prospectId,
        sequenceId: 'saas-midmarket-onboarding',
        expectationId: 'first-response',
        givenAt: at(1900).toISOString(),
        count,
      });
    await addCounters(
      counterUpdates(ANY_ICP, [
        ...expectation(ids.p1!, 'given'),
        ...expectation(ids.p2!, 'given'),
        ...expectation(ids.p4!, 'given'),
        ...expectation(ids.p1!, 'met'),
        ...expectation(ids.p2!, 'broken'),
      ]),
    );
    const bySequence = await groups('sequence');
    expect(bySequence['saas-midmarket-onboarding']!.expectations).toEqual([
      {
        id: 'first-response',
        given: 3,
        met: 1,
        broken: 1,
        open: 1,
        decided: 2,
        metRate: 0.5,
        nps: { met: { score: null, answers: 0 }, broken: { score: null, answers: 0 } },
        summary: 'first-response: kept for 50% (1 of 2 decided); NPS no answers kept vs no answers broken',
      },
    ]);
    expect(bySequence['default-onboarding']!.expectations).toEqual([]);
  });

  it('answers CSV with one row per group', async () => {
    const response = await report(`icp=saas-midmarket&groupBy=grade&from=${from}&to=${to}&format=csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = response.body.split('\r\n');
    expect(lines[0]).toMatch(/^group,prospects,customers,npsProspects,npsProspectAnswers,npsCustomers/);
    expect(lines.slice(1, 5).map((line) => line.split(',').slice(0, 7))).toEqual([
      ['A', '2', '1', '100', '1', '-100', '1'],
      ['B', '1', '1', '', '0', '-100', '1'],
      ['C', '0', '0', '', '0', '', '0'],
      ['D', '1', '0', '0', '1', '', '0'],
    ]);
    expect(lines[5]).toBe('');
  });

  it('changes no figure when the stream delivers every record again', async () => {
    const before = await groups('form');
    expect((await deliver(records)).batchItemFailures).toEqual([]);
    expect(await groups('form')).toEqual(before);
  });

  it('ignores the REMOVE that TTL sends when a touchpoint expires: scores and figures stay', async () => {
    const insert = records.find(
      (record) =>
        record.dynamodb?.NewImage?.entity?.S === 'touchpoint' &&
        record.dynamodb.NewImage.prospectId?.S === ids.p1 &&
        record.dynamodb.NewImage.type?.S === 'form',
    )!;
    const image = insert.dynamodb!.NewImage!;
    // The touchpoint carries its expiry: TOUCHPOINT_RETENTION_DAYS (395 by default) after it happened.
    const stored = await documents.send(
      new GetCommand({ TableName: tableName, Key: { PK: image.PK!.S!, SK: image.SK!.S! } }),
    );
    expect(stored.Item?.expiresAt).toBe(Math.floor(T.getTime() / 1000) + 395 * 86_400);
    const reportBefore = await groups('grade');
    const scoreBefore = (await readProspect(ids.p1!)).json().scores;
    const ttlRemoval: DynamoDBRecord = {
      ...insert,
      eventID: `${insert.eventID}-ttl`,
      eventName: 'REMOVE',
      // How DynamoDB marks deletions made by TTL.
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: { ...insert.dynamodb, NewImage: undefined, OldImage: image },
    };
    expect((await deliver([ttlRemoval])).batchItemFailures).toEqual([]);
    expect(await groups('grade')).toEqual(reportBefore);
    const scoreAfter = (await readProspect(ids.p1!)).json().scores;
    expect(scoreAfter.map(withoutDecayedFigures)).toEqual(scoreBefore.map(withoutDecayedFigures));
  });

  it('refuses a bad query with a 400 naming the field, and an unknown ICP with a 404', async () => {
    const fields = async (query: string) => {
      const response = await report(query);
      expect(response.statusCode).toBe(400);
      return response.json().errors.map((error: { field: string }) => error.field);
    };
    expect(await fields(`from=${from}&to=${to}`)).toEqual(['icp']);
    expect(await fields(`icp=saas-midmarket&from=yesterday&to=${to}`)).toEqual(['from']);
    expect(await fields(`icp=saas-midmarket&from=${from}&to=${to}&groupBy=country`)).toEqual(['groupBy']);
    expect(await fields('icp=saas-midmarket&from=2026-03-02&to=2026-03-01')).toEqual(['to']);
    // 2025-01-01 to 2026-01-02 is 367 days, inclusive.
    expect(await fields('icp=saas-midmarket&from=2025-01-01&to=2026-01-02')).toEqual(['to']);
    expect((await report('icp=saas-midmarket&from=2025-01-01&to=2026-01-01')).statusCode).toBe(200);
    expect((await report(`icp=nobody&from=${from}&to=${to}`)).statusCode).toBe(404);
    const anonymous = await invoke(experienceReport, {
      method: 'GET',
      url: `/v1/experience?icp=x&from=${from}&to=${to}`,
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

/** Engagement is decayed to the time of each read: compare everything else. */
function withoutDecayedFigures({
  engagement: _engagement,
  explanation: _explanation,
  ...rest
}: Record<string, unknown>) {
  return rest;
}
