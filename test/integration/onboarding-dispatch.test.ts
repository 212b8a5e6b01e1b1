import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as dispatchOnboarding } from '../../functions/dispatch-onboarding.js';
import { emailHash } from '../../lib/identity/identity.js';
import type { MailProvider } from '../../lib/mail/index.js';
import { type SmtpProvider, smtpProvider } from '../../lib/mail/smtp-provider.js';
import { getSendRecord } from '../../lib/store/send-records.js';
import { suppressAddress } from '../../lib/store/suppressions.js';
import { lambdaContext } from '../../scripts/local/api-gateway.js';
import { scheduledEvent } from '../../scripts/local/scheduler.js';
import {
  convert,
  customer,
  dispatchAt,
  drainAll,
  enrollmentOf,
  onboardingOf,
  unsubscribeRequest,
} from '../support/onboarding.js';
import { sendEvents, useScoringTable } from '../support/scoring.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';

const outboxDir = vi.hoisted(() => {
  const dir = `outbox/test-${Math.random().toString(36).slice(2)}`;
  process.env.OUTBOX_DIR = dir;
  process.env.WEBHOOK_SECRETS = 'webhook-secret-current-0123456789';
  process.env.REPLY_DOMAIN = 'reply.example.com';
  return dir;
});

const DAY = 86_400_000;
let server: CapturingSmtpServer;
let smtp: SmtpProvider;

beforeAll(async () => {
  await useScoringTable();
  server = await startSmtpServer();
  smtp = smtpProvider({ url: server.url });
});

beforeEach(async () => {
  // Whatever earlier tests left due is sent now, so each test sees only its own customers' mail.
  await drainAll(smtp);
  server.messages.length = 0;
});

afterEach(() => server.reply({}));

afterAll(async () => {
  smtp.close();
  await server.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

async function enrolledCustomer(extra: Record<string, unknown> = {}) {
  const tag = randomUUID();
  const email = `cto-${tag}@acme.example`;
  const prospectId = await customer(tag, extra);
  const response = await convert({ email, plan: 'pro' });
  expect(response.json().sequenceId).toBe('saas-midmarket-onboarding');
  return { prospectId, email, tag };
}

const to = (email: string) => server.messages.filter((message) => message.envelope.to.includes(email));

describe('dispatchOnboarding', () => {
  it('sends each step when due, inside the send window, once, with one-click unsubscribe headers', async () => {
    const { prospectId, email } = await enrolledCustomer();
    const first = await enrollmentOf(prospectId);
    const welcomeAt = new Date(first.nextDueAt!);
    // Mon-Fri 09:00-17:00 in Europe/Berlin (the customer gave no time zone).
    expect(welcomeAt.getUTCDay()).toBeGreaterThanOrEqual(1);
    expect(welcomeAt.getUTCDay()).toBeLessThanOrEqual(5);

    expect((await dispatchAt(new Date(welcomeAt.getTime() - 1000), smtp)).sent).toBe(0);
    const result = await dispatchAt(welcomeAt, smtp);
    expect(result.sent).toBeGreaterThanOrEqual(1);
    expect(to(email)).toHaveLength(1);
    const [welcome] = to(email);
    expect(welcome?.subject).toBe('Welcome to Example, Cora');
    expect(welcome?.text).toContain('A specialist replies within 1 business day');
    const unsubscribe = welcome?.headers.get('list') as { unsubscribe: { url: string } };
    // The welcome is a service message: its link unsubscribes from onboarding (transactional) emails only.
    expect(unsubscribe.unsubscribe.url).toMatch(
      /^http:\/\/localhost:3000\/v1\/unsubscribe\?token=v2\.[^.]+\.[^.]+\.transactional\./,
    );
    // The sequence's sender; replies reach its mailbox and the signed address that records them.
    expect(welcome?.from?.text).toBe('"Maya at Example" <success@example.com>');
    expect((welcome?.replyTo?.value ?? []).map((item) => item.address)).toEqual([
      expect.stringMatching(/^reply\+1[a-f0-9]{52}@reply\.example\.com$/),
      'success@example.com',
    ]);
    // The footer: why, the unsubscribe link, the sender's postal address, configured once.
    expect(welcome?.text).toContain(`Unsubscribe from onboarding emails: ${unsubscribe.unsubscribe.url}`);
    expect(welcome?.text).toContain('Example Inc., 2261 Market Street #4321, San Francisco, CA 94114, USA');
    expect(welcome?.html).toContain('2261 Market Street #4321');
    expect(welcome?.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);

    // The same run again, or a run a minute later: nothing is sent twice.
    await dispatchAt(welcomeAt, smtp);
    await dispatchAt(new Date(welcomeAt.getTime() + 60_000), smtp);
    expect(to(email)).toHaveLength(1);

    const afterWelcome = await enrollmentOf(prospectId);
    expect(afterWelcome.steps).toEqual([
      {
        stepId: 'welcome',
        status: 'sent',
        at: welcomeAt.toISOString(),
        providerMessageId: welcome?.messageId,
      },
    ]);
    expect(afterWelcome.expectations).toEqual([
      {
        id: 'first-response',
        text: 'A specialist replies within 1 business day',
        givenAt: welcomeAt.toISOString(),
        deadline: expect.any(String),
        outcome: 'open',
        outcomeAt: null,
      },
    ]);
    const deadline = new Date(afterWelcome.expectations[0]!.deadline);
    expect(deadline.getTime() - welcomeAt.getTime()).toBeGreaterThan(DAY / 2);
    expect(deadline.getTime() - welcomeAt.getTime()).toBeLessThanOrEqual(4 * DAY);
    const tipsAt = new Date(afterWelcome.nextDueAt!);
    expect(tipsAt.getTime() - welcomeAt.getTime()).toBeGreaterThanOrEqual(2 * DAY);

    await dispatchAt(tipsAt, smtp);
    const checkInAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    await dispatchAt(checkInAt, smtp);
    const npsAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    // A month in: one question, 30 days after the welcome give or take the send window.
    expect((npsAt.getTime() - welcomeAt.getTime()) / DAY).toBeGreaterThanOrEqual(30);
    await dispatchAt(npsAt, smtp);
    expect(to(email).map((message) => message.subject)).toEqual([
      'Welcome to Example, Cora',
      'Three tips for Acme',
      'How is it going, Cora?',
      'A month with Example: one question',
    ]);
    const done = await enrollmentOf(prospectId);
    expect(done).toMatchObject({ status: 'completed', nextDueAt: null });
    expect(done.steps.map((step) => step.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  it('retries a 421 later with backoff, and sends the step once the server takes mail again', async () => {
    const { prospectId, email } = await enrolledCustomer();
    const welcomeAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    server.reply({ rcptTo: { code: 421, message: '4.7.0 Try again later' } });
    const refused = await dispatchAt(welcomeAt, smtp);
    expect(refused).toMatchObject({ retried: 1, sent: 0 });
    expect(refused.stoppedBy).toMatch(/^smtp 421/);
    const retryAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    // First retry: full jitter up to SEND_RETRY_BASE_SECONDS (the test's random() is 1, the longest).
    expect(retryAt.getTime() - welcomeAt.getTime()).toBe(60_000);
    expect(await getSendRecord(prospectId, 'saas-midmarket-onboarding', 'welcome')).toMatchObject({
      status: 'retry',
      attempts: 1,
      lastError: expect.stringMatching(/^smtp 421 .*Try again later/),
    });

    server.reply({});
    expect((await dispatchAt(new Date(retryAt.getTime() - 1000), smtp)).due).toBe(0);
    await dispatchAt(retryAt, smtp);
    expect(to(email)).toHaveLength(1);
    expect(await getSendRecord(prospectId, 'saas-midmarket-onboarding', 'welcome')).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
  });

  it('gives a step up after MAX_SEND_ATTEMPTS transient refusals, with the reason, and goes on', async () => {
    const { prospectId } = await enrolledCustomer();
    server.reply({ rcptTo: { code: 450, message: '4.2.1 Mailbox busy' } });
    let at = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await dispatchAt(at, smtp);
      at = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    }
    const enrollment = await enrollmentOf(prospectId);
    expect(enrollment.status).toBe('active');
    expect(enrollment.steps).toEqual([
      expect.objectContaining({
        stepId: 'welcome',
        status: 'failed',
        reason: expect.stringMatching(/^gave up after 5 attempts: smtp 450/),
      }),
    ]);
    expect(await getSendRecord(prospectId, 'saas-midmarket-onboarding', 'welcome')).toMatchObject({
      status: 'failed',
      attempts: 5,
    });
  });

  it('stops the sequence on a 550, records why, and sends none of its later steps', async () => {
    const { prospectId, email } = await enrolledCustomer();
    const welcomeAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    server.reply({ rcptTo: { code: 550, message: '5.1.1 <someone@acme.example>: no such user' } });
    expect(await dispatchAt(welcomeAt, smtp)).toMatchObject({ rejected: 1 });
    server.reply({});
    await drainAll(smtp);
    expect(to(email)).toHaveLength(0);
    const enrollment = await enrollmentOf(prospectId);
    expect(enrollment).toMatchObject({
      status: 'exited',
      reason: 'rejected: smtp 550 on RCPT: 550 5.1.1 <[email]>: no such user',
    });
    expect(enrollment.steps).toEqual([expect.objectContaining({ stepId: 'welcome', status: 'failed' })]);
  });

  it('sends every step once when two dispatcher runs go at the same time', async () => {
    const customers = await Promise.all(Array.from({ length: 6 }, () => enrolledCustomer()));
    const dues = await Promise.all(
      customers.map(async ({ prospectId }) => (await enrollmentOf(prospectId)).nextDueAt!),
    );
    const at = new Date(Math.max(...dues.map((due) => Date.parse(due))));
    const [a, b] = await Promise.all([dispatchAt(at, smtp), dispatchAt(at, smtp)]);
    expect(a.sent + b.sent).toBe(6);
    for (const { email } of customers) expect(to(email)).toHaveLength(1);
    expect(new Set(server.messages.map((message) => message.messageId)).size).toBe(6);
  });

  it('never re-sends a step whose run crashed between sending and recording: it is abandoned after the lease', async () => {
    const { prospectId, email } = await enrolledCustomer();
    const welcomeAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    // The mail goes out, then the run dies (Lambda timeout, OOM) before recording anything.
    let finishRecording: () => void = () => undefined;
    const crashing: MailProvider = {
      name: 'smtp',
      send: async (mail) => {
        const result = await smtp.send(mail);
        await new Promise<void>((resolve) => {
          finishRecording = resolve;
        });
        return result;
      },
    };
    const crashedRun = dispatchAt(welcomeAt, crashing);
    await vi.waitFor(() => expect(to(email)).toHaveLength(1));
    expect(await getSendRecord(prospectId, 'saas-midmarket-onboarding', 'welcome')).toMatchObject({
      status: 'claimed',
    });

    // Within the lease (SEND_LEASE_SECONDS, 900 s) another run leaves the claim alone.
    expect(await dispatchAt(new Date(welcomeAt.getTime() + 60_000), smtp)).toMatchObject({
      busy: 1,
      sent: 0,
    });
    // After it, the step is abandoned, not re-sent, and the sequence goes on.
    expect(await dispatchAt(new Date(welcomeAt.getTime() + 901_000), smtp)).toMatchObject({
      abandoned: 1,
      sent: 0,
    });
    expect(to(email)).toHaveLength(1);
    const enrollment = await enrollmentOf(prospectId);
    expect(enrollment.steps).toEqual([
      expect.objectContaining({
        stepId: 'welcome',
        status: 'abandoned',
        reason: expect.stringMatching(/without an outcome .*not re-sent/),
      }),
    ]);
    expect(enrollment.nextDueAt).not.toBeNull();

    // The crashed run coming back late changes nothing.
    finishRecording();
    await crashedRun;
    expect(await getSendRecord(prospectId, 'saas-midmarket-onboarding', 'welcome')).toMatchObject({
      status: 'abandoned',
    });
    expect((await enrollmentOf(prospectId)).steps).toHaveLength(1);
  });
});

describe('who is never mailed', () => {
  it('unsubscribes through the one-click POST, and sends none of the later steps', async () => {
    const { prospectId, email } = await enrolledCustomer();
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    const [welcome] = to(email);
    const link = new URL((welcome!.headers.get('list') as { unsubscribe: { url: string } }).unsubscribe.url);

    // A GET (a link scanner, a preview) only shows the page with a form that POSTs.
    const page = await unsubscribeRequest('GET', `${link.pathname}${link.search}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post" action="/v1/unsubscribe?token=');
    expect((await enrollmentOf(prospectId)).status).toBe('active');

    const response = await unsubscribeRequest(
      'POST',
      `${link.pathname}${link.search}`,
      'List-Unsubscribe=One-Click',
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers.location).toBeUndefined();
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.body).toContain('You are unsubscribed');
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'exited', reason: 'unsubscribed' });

    await drainAll(smtp);
    expect(to(email)).toHaveLength(1);
    // A second click is harmless.
    expect(
      (await unsubscribeRequest('POST', `${link.pathname}${link.search}`, 'List-Unsubscribe=One-Click'))
        .statusCode,
    ).toBe(200);
  });

  it('refuses a forged or cut-off token on GET and POST, and unsubscribes nobody', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await unsubscribeRequest(method, '/v1/unsubscribe?token=v1.abc.def.forged', '');
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('This unsubscribe link is not valid');
    }
  });

  it('checks exits at send time: a goal reached after enrollment ends the sequence', async () => {
    const { prospectId, email, tag } = await enrolledCustomer();
    await sendEvents([{ type: 'identify', userId: tag, traits: { email } }]);
    await sendEvents([
      { type: 'track', userId: tag, event: 'Onboarding Completed', messageId: `goal-${tag}` },
    ]);
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    expect(to(email)).toHaveLength(0);
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'exited', reason: 'goal reached' });
  });

  it('skips a step whose skip-if holds at send time, and sends the next one', async () => {
    const { prospectId, email, tag } = await enrolledCustomer();
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    await sendEvents([{ type: 'identify', userId: tag, traits: { email } }]);
    await sendEvents([{ type: 'track', userId: tag, event: 'CRM Connected', messageId: `crm-${tag}` }]);
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    expect(to(email).map((message) => message.subject)).toEqual([
      'Welcome to Example, Cora',
      'How is it going, Cora?',
    ]);
    expect((await enrollmentOf(prospectId)).steps.map((step) => `${step.stepId}:${step.status}`)).toEqual([
      'welcome:sent',
      'tips:skipped',
      'check-in:sent',
    ]);
  });

  it('checks suppression at send time, even when nothing ended the enrollment', async () => {
    const { prospectId, email } = await enrolledCustomer();
    // As if the bounce arrived while its enrollments were being ended: only the suppression is there.
    await suppressAddress(emailHash(email), {
      reason: 'bounce',
      at: new Date().toISOString(),
      source: 'test',
    });
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    expect(to(email)).toHaveLength(0);
    expect(await enrollmentOf(prospectId)).toMatchObject({
      status: 'exited',
      reason: 'address suppressed (bounce)',
    });
  });

  it('ends the sequence when the customer churns', async () => {
    const { prospectId, email, tag } = await enrolledCustomer();
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    await sendEvents([{ type: 'identify', userId: tag, traits: { email } }]);
    await sendEvents([{ type: 'track', userId: tag, event: 'Churned', messageId: `churn-${tag}` }]);
    await drainAll(smtp);
    expect(to(email)).toHaveLength(1);
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'exited', reason: 'churn' });
  });

  it('sends transactional onboarding to a customer without marketing consent', async () => {
    const { prospectId, email } = await enrolledCustomer({ consent: '' });
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    expect(to(email).map((message) => message.subject)).toEqual(['Welcome to Example, Cora']);
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'active' });
  });
});

describe('the dispatchOnboarding handler', () => {
  it('takes now from the scheduled event, so an event from the future sends what is due then', async () => {
    const { prospectId } = await enrolledCustomer();
    const due = new Date((await enrollmentOf(prospectId)).nextDueAt!);
    const invokeAt = async (at: Date) =>
      dispatchOnboarding(
        scheduledEvent({ ruleName: 'dispatchOnboarding' }, 'us-east-1', at),
        lambdaContext('dispatchOnboarding', 60_000),
      );
    expect(await invokeAt(new Date(due.getTime() - 60_000))).toMatchObject({ sent: 0 });
    expect(await invokeAt(new Date(due.getTime() + 60_000))).toMatchObject({ sent: 1 });
    const files = readdirSync(outboxDir).filter((file) => file.includes(prospectId));
    expect(files).toHaveLength(1);
    const message = readFileSync(join(outboxDir, files[0]!), 'utf8');
    expect(message).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect((await onboardingOf(prospectId)).enrollments[0]?.steps[0]?.status).toBe('sent');
  });
});
