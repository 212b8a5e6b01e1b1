import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { signWebhook } from '../../lib/edge/http/webhook-signature.js';
import { type LocalStack, startLocalStack } from '../support/local-stack.js';

// The local stack's default webhook secret (WEBHOOK_SECRETS is only defaulted on the local stage).
const LOCAL_WEBHOOK_SECRET = 'local-development-secret-change-me';
const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
let stack: LocalStack;

beforeAll(async () => {
  // The most verbose logs: the whole run's output is checked for personal data at the end.
  stack = await startLocalStack({ env: { OUTBOX_DIR: outbox, LOG_LEVEL: 'debug' } });
});

afterAll(async () => {
  await stack?.stop();
});

/** dispatchOnboarding through the Lambda Invoke API, with a scheduled event from the given time. */
async function dispatchAt(time: string) {
  const response = await fetch(`${stack.lambdaUrl}/2015-03-31/functions/dispatchOnboarding/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time,
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/dispatchOnboarding'],
      detail: {},
    }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('x-amz-function-error')).toBeNull();
}

const emailsTo = async (address: string) => {
  const messages = [];
  for (const file of readdirSync(outbox).filter((name) => name.endsWith('.eml'))) {
    const parsed = await simpleParser(readFileSync(join(outbox, file)));
    if (parsed.to && !Array.isArray(parsed.to) && parsed.to.text === address) messages.push(parsed);
  }
  return messages;
};

describe('onboarding on the local stack', () => {
  it('sends the welcome email to a new customer, and nothing more after a one-click unsubscribe', async () => {
    const email = `customer-${randomUUID()}@acme.example`;
    const form = await fetch(`${stack.apiUrl}/v1/forms/demo-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({
        email,
        first_name: 'Cleopatra',
        last_name: 'Philopator',
        phone: '+44 20 7946 0018',
        job_title: 'CTO',
        company_size: '250',
        industry: 'Software',
        consent: 'yes',
      }),
    });
    expect(form.status).toBe(202);

    // The billing system reports the conversion, signed with the shared webhook secret.
    const body = JSON.stringify({ email, plan: 'pro' });
    const conversion = await fetch(`${stack.apiUrl}/v1/conversions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-signature': signWebhook(body, LOCAL_WEBHOOK_SECRET, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(conversion.status).toBe(202);
    const { prospectId, sequenceId } = (await conversion.json()) as {
      prospectId: string;
      sequenceId: string;
    };
    expect(sequenceId).toBe('saas-midmarket-onboarding');

    // Monday 7 January 2030, 10:30 in Berlin: inside the sequence's send window.
    await dispatchAt('2030-01-07T09:30:00Z');
    const [welcome, ...others] = await emailsTo(email);
    expect(others).toEqual([]);
    // mailparser folds List-* headers into a structure: read the header lines as sent.
    const header = (name: string) => welcome!.headerLines.find((line) => line.key === name)?.line ?? '';
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const unsubscribeUrl = /<([^>]+)>/.exec(header('list-unsubscribe'))![1]!.replace(/\s+/g, '');
    expect(unsubscribeUrl.startsWith(`${stack.apiUrl}/v1/unsubscribe?token=`)).toBe(true);

    // Opening the link shows a confirmation page and changes nothing; the one-click POST unsubscribes.
    const page = await fetch(unsubscribeUrl, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const oneClick = await fetch(unsubscribeUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get('location')).toBeNull();
    expect(oneClick.headers.get('set-cookie')).toBeNull();

    // Three weeks later every remaining step is due: none is sent.
    await dispatchAt('2030-01-28T09:30:00Z');
    expect(await emailsTo(email)).toHaveLength(1);

    const prospect = await fetch(`${stack.apiUrl}/v1/prospects/${prospectId}`, {
      headers: { authorization: `Bearer ${signLocalToken(['prospects:read'])}` },
    });
    const onboarding = ((await prospect.json()) as { onboarding: { enrollments: unknown[] } }).onboarding;
    expect(onboarding.enrollments).toEqual([
      expect.objectContaining({
        sequenceId: 'saas-midmarket-onboarding',
        status: 'exited',
        steps: [expect.objectContaining({ stepId: 'welcome', status: 'sent' })],
        expectations: [expect.objectContaining({ id: 'first-response' })],
      }),
    ]);

    // Everything the stack logged during the run: ids and counts, never an address, a name or a phone number.
    const logs = stack.output();
    for (const message of ['form captured', 'onboarding dispatched', 'unsubscribed'])
      expect(logs).toContain(`"message":"${message}"`);
    for (const secret of [email, email.split('@')[0]!, 'Cleopatra', 'Philopator', '7946', unsubscribeUrl])
      expect(logs).not.toContain(secret);
  });
});
