import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { signWebhook } from '../../lib/edge/http/webhook-signature.js';
import { type LocalStack, startLocalStack } from '../support/local-stack.js';

const LOCAL_WEBHOOK_SECRET = 'local-development-secret-change-me';
const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
const readToken = signLocalToken(['prospects:read']);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ env: { OUTBOX_DIR: outbox } });
});

afterAll(async () => {
  await stack?.stop();
});

async function dispatchAt(time: string) {
  const response = await fetch(`${stack.lambdaUrl}/2015-03-31/functions/dispatchOnboarding/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'detail-type': 'Scheduled Event', source: 'aws.events', time, detail: {} }),
  });
  expect(response.headers.get('x-amz-function-error')).toBeNull();
}

async function emailsTo(address: string): Promise<ParsedMail[]> {
  const messages: ParsedMail[] = [];
  for (const file of readdirSync(outbox)
    .filter((name) => name.endsWith('.eml'))
    .sort()) {
    const parsed = await simpleParser(readFileSync(join(outbox, file)));
    if (parsed.to && !Array.isArray(parsed.to) && parsed.to.text === address) messages.push(parsed);
  }
  return messages;
}

// biome-ignore lint/suspicious/noExplicitAny: the prospect's JSON, read as a client would
async function prospect(prospectId: string): Promise<any> {
  const response = await fetch(`${stack.apiUrl}/v1/prospects/${prospectId}`, {
    headers: { authorization: `Bearer ${readToken}` },
  });
  expect(response.status).toBe(200);
  return response.json();
}

/** Waits for the stream to have done its work (the local stack scores within a second or two). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('surveys and replies on the local stack', () => {
  let email: string;
  let prospectId: string;

  it('asks a new customer for an NPS a month in: the link shows, records nothing, then POST records it once', async () => {
    email = `customer-${randomUUID()}@acme.example`;
    const form = await fetch(`${stack.apiUrl}/v1/forms/demo-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({
        email,
        first_name: 'Ada',
        job_title: 'CTO',
        company: 'Acme',
        company_size: '250',
        industry: 'Software',
        consent: 'yes',
      }),
    });
    expect(form.status).toBe(202);
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
    ({ prospectId } = (await conversion.json()) as { prospectId: string });

    // Welcome on Monday 7 January 2030, tips two days later, the check-in a week after, the NPS three weeks on.
    for (const time of [
      '2030-01-07T09:30:00Z',
      '2030-01-09T09:30:00Z',
      '2030-01-16T09:30:00Z',
      '2030-02-06T09:30:00Z',
    ])
      await dispatchAt(time);
    const sent = await emailsTo(email);
    expect(sent.map((message) => message.subject)).toEqual([
      'Welcome to Example, Ada',
      'Three tips for Acme',
      'How is it going, Ada?',
      'A month with Example: one question',
    ]);
    const survey = sent[3]!;
    expect(survey.text).toContain('How likely are you to recommend Example to a colleague?');
    expect(survey.text).toContain('2261 Market Street #4321');
    const links = new Map(
      [...(survey.text ?? '').matchAll(/^(\d+): (http\S+)$/gm)].map((match) => [Number(match[1]), match[2]!]),
    );
    expect([...links.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const link = links.get(9)!;
    expect(link.startsWith(`${stack.apiUrl}/v1/survey?token=s1.`)).toBe(true);

    // A mail scanner follows the link: a page, nothing recorded.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('value="9" checked');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await prospect(prospectId)).onboarding.surveys).toEqual([]);

    // The person sends the page's form.
    const answer = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'answer=9&comment=Setup+was+quick',
    });
    expect(answer.status).toBe(200);
    const answered = await until(
      () => prospect(prospectId),
      (value) =>
        value.scores[0]?.explanation.some((line: { text: string }) => line.text.startsWith('Answered NPS 9')),
    );
    expect(answered.onboarding.surveys).toEqual([
      expect.objectContaining({ kind: 'nps', answer: 9, comment: 'Setup was quick', revision: 1 }),
    ]);
    expect(answered.timeline.items.filter((item: { type: string }) => item.type === 'survey')).toHaveLength(
      1,
    );

    // The report shows it: the sequence's NPS today, and beside the promise the welcome made (broken: nobody
    // called within a business day), the NPS of those whose promise was broken.
    const report = async (from: string, to: string) => {
      const response = await fetch(
        `${stack.apiUrl}/v1/experience?icp=saas-midmarket&groupBy=sequence&from=${from}&to=${to}`,
        { headers: { authorization: `Bearer ${readToken}` } },
      );
      expect(response.status).toBe(200);
      const groups = ((await response.json()) as { groups: { group: string }[] }).groups;
      // biome-ignore lint/suspicious/noExplicitAny: the report's JSON
      return groups.find((group) => group.group === 'saas-midmarket-onboarding') as any;
    };
    const today = new Date().toISOString().slice(0, 10);
    expect((await report(today, today)).nps.customers).toEqual({ score: 100, answers: 1 });
    const promised = (await report('2030-01-07', '2030-01-07')).expectations[0];
    expect(promised).toMatchObject({
      id: 'first-response',
      given: 1,
      broken: 1,
      nps: { met: { score: null, answers: 0 }, broken: { score: 100, answers: 1 } },
    });
    expect(promised.summary).toBe(
      'first-response: kept for 0% (0 of 1 decided); NPS no answers kept vs 100 (1 answers) broken',
    );
  });

  it('records a reply sent to the signed Reply-To address as an email-reply touchpoint', async () => {
    const [welcome] = await emailsTo(email);
    const replyTo = (welcome!.replyTo?.value ?? []).map((item) => item.address!);
    expect(replyTo).toEqual([
      expect.stringMatching(/^reply\+1[a-f0-9]{52}@reply\.localhost$/),
      'success@example.com',
    ]);

    const transport = nodemailer.createTransport({
      host: stack.inboundSmtp.host,
      port: stack.inboundSmtp.port,
      secure: false,
      ignoreTLS: true,
    });
    await transport.sendMail({
      from: email,
      to: replyTo[0],
      subject: 'Re: Welcome to Example, Ada',
      text: 'Thanks! Could someone show us the CRM import?\n\nOn Mon, Maya wrote:\n> Welcome',
    });
    transport.close();
    const after = await until(
      () => prospect(prospectId),
      (value) => value.timeline.items.some((item: { type: string }) => item.type === 'email-reply'),
    );
    expect(after.timeline.items.find((item: { type: string }) => item.type === 'email-reply')).toMatchObject({
      name: 'saas-midmarket-onboarding',
      properties: {
        sequenceId: 'saas-midmarket-onboarding',
        stepId: 'welcome',
        fromProspect: true,
        excerpt: 'Thanks! Could someone show us the CRM import?',
      },
    });
    expect(stack.output()).toMatch(/Inbound mail: {3}smtp:\/\/127\.0\.0\.1:\d+/);
  });
});
