import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { apiGatewayEvent } from '../../scripts/local/api-gateway.js';
import { type LocalStack, startLocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let stopped = false;

beforeAll(async () => {
  stack = await startLocalStack();
});

afterAll(async () => {
  if (!stopped) await stack?.stop();
});

const readToken = signLocalToken(['prospects:read']);
const prospectByEmail = async (email: string) => {
  const response = await fetch(`${stack.apiUrl}/v1/prospects?email=${encodeURIComponent(email)}&limit=50`, {
    headers: { authorization: `Bearer ${readToken}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads a response body of many shapes
  return { status: response.status, body: (await response.json()) as any };
};

describe("Segment's analytics-node client against the local stack", () => {
  it('delivers page, identify and track calls to one prospect, the anonymous page stitched to the person', async () => {
    const analytics = new Analytics({
      writeKey: 'demo-write-key',
      host: stack.apiUrl,
      path: '/v1/batch',
      flushAt: 1,
      maxRetries: 0,
    });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    const delivered = (send: (callback: (error?: unknown) => void) => void) =>
      new Promise<void>((resolve, reject) =>
        send((error) => {
          if (error) reject(error);
          else resolve();
        }),
      );
    const anonymousId = randomUUID();
    const userId = `user-${randomUUID()}`;
    const email = `segment-${randomUUID()}@example.com`;

    // In order, each one delivered before the next: the visitor is anonymous when the page view arrives.
    await delivered((callback) =>
      analytics.page(
        {
          anonymousId,
          name: 'Pricing',
          properties: { path: '/pricing', url: 'https://example.com/pricing' },
        },
        callback,
      ),
    );
    await delivered((callback) =>
      analytics.identify(
        { userId, anonymousId, traits: { email, firstName: 'Ada', title: 'Analyst' } },
        callback,
      ),
    );
    await delivered((callback) =>
      analytics.track({ userId, event: 'Requested Demo', properties: { plan: 'team' } }, callback),
    );
    await analytics.closeAndFlush({ timeout: 5000 });
    expect(errors).toEqual([]);

    const { status, body: prospect } = await prospectByEmail(email);
    expect(status).toBe(200);
    expect(prospect.traits).toMatchObject({ email, firstName: 'Ada', title: 'Analyst' });
    const timeline = prospect.timeline.items as { type: string; name?: string }[];
    expect(timeline.map((item) => `${item.type}:${item.name ?? ''}`).sort()).toEqual([
      'identify:',
      'page:Pricing',
      'track:Requested Demo',
    ]);
  });
});

describe("the local stack's event sources", () => {
  it("delivers a new touchpoint through the table's stream to scoreTouchpoints", async () => {
    const email = `stream-${randomUUID()}@example.com`;
    const response = await fetch(`${stack.apiUrl}/v1/forms/demo-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({ email, company_size: '51-200' }),
    });
    expect(response.status).toBe(202);
    // The stream consumer marks each touchpoint it has applied; the poller reads the stream 4 times a second.
    const deadline = Date.now() + 10_000;
    let scoredAt: unknown;
    while (!scoredAt && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      scoredAt = (await prospectByEmail(email)).body.timeline.items[0]?.scoredAt;
    }
    expect(scoredAt).toEqual(expect.any(String));
  });
});

describe('scoring and ranking on the local stack', () => {
  it('turns a form post into a graded, explained score and a ranked CSV row within seconds', async () => {
    const email = `ranked-${randomUUID()}@acme.example`;
    const response = await fetch(`${stack.apiUrl}/v1/forms/demo-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({
        email,
        job_title: 'VP Engineering',
        company: '=cmd|calc',
        company_size: '250',
        industry: 'Software',
      }),
    });
    expect(response.status).toBe(202);
    const deadline = Date.now() + 15_000;
    // biome-ignore lint/suspicious/noExplicitAny: the test reads a response body of many shapes
    let score: any;
    while (!score && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      score = (await prospectByEmail(email)).body.scores?.[0];
    }
    expect(score).toMatchObject({ icpId: 'saas-midmarket', grade: 'A', fit: 75 });
    expect(score.engagement).toBeCloseTo(40, 0);
    expect(score.explanation.map((line: { text: string }) => line.text)).toContain(
      'Requested a demo (once this week): +40',
    );

    // The ranked list reads the ranking RANKING_READ_LAG_MS (2 s) in the past: poll until the row is there.
    let csv = '';
    while (!csv.includes(email) && Date.now() < deadline + 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const list = await fetch(`${stack.apiUrl}/v1/prospects?icp=saas-midmarket&grade=A`, {
        headers: { authorization: `Bearer ${readToken}`, accept: 'text/csv' },
      });
      expect(list.status).toBe(200);
      expect(list.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      csv = await list.text();
    }
    const row = csv.split('\r\n').find((line) => line.includes(email))!;
    expect(row).toContain(",'=cmd|calc,VP Engineering,A,75,");
  });
});

describe('the Lambda Invoke API of the local stack', () => {
  const invoke = (name: string, event: unknown) =>
    fetch(`${stack.lambdaUrl}/2015-03-31/functions/${name}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });

  it('invokes a function with the event it is given and answers its result', async () => {
    const response = await invoke('openApi', apiGatewayEvent({ method: 'GET', url: '/v1/openapi.json' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    const result = (await response.json()) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    const document = JSON.parse(result.body);
    expect(document.openapi).toMatch(/^3\.1/);
    expect(document.servers[0].url).toBe(stack.apiUrl);
  });

  it('answers 404 ResourceNotFoundException for a function serverless.yml does not define', async () => {
    const response = await invoke('noSuchFunction', {});
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(((await response.json()) as { message: string }).message).toContain('noSuchFunction');
  });
});

describe('stopping the local stack', () => {
  it('stops servers and DynamoDB Local on SIGTERM, leaving no process behind', async () => {
    const before = stack.processes();
    expect(before.some((process) => /DynamoDBLocal\.jar/.test(process.command))).toBe(true);

    const { exitCode, leftovers } = await stack.stop('SIGTERM');
    stopped = true;

    expect(leftovers).toEqual([]);
    expect(exitCode).toBe(0);
    expect(stack.output()).toContain('SIGTERM: stopping');
    await expect(fetch(`${stack.apiUrl}/v1/openapi.json`)).rejects.toThrow();
  });
});
