import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as experienceReport } from '../../functions/experience-report.js';
import { applyConfig } from '../../lib/configuration/config-kinds.js';
import { handleInboundMessage } from '../../lib/edge/events/inbound-mail.js';
import { type SmtpProvider, smtpProvider } from '../../lib/mail/smtp-provider.js';
import { replyAddress } from '../../lib/onboarding/reply-address.js';
import { endEnrollment } from '../../lib/store/enrollments.js';
import { invoke } from '../support/http.js';
import { convert, dispatchAt, drainAll, enrollmentOf, onboardingOf } from '../support/onboarding.js';
import {
  ctoFields,
  deliver,
  drainIntoScores,
  logSalesActivity,
  readProspect,
  readToken,
  sendEvents,
  submitForm,
  useScoringTable,
} from '../support/scoring.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';

const outboxDir = vi.hoisted(() => {
  const dir = `outbox/test-${Math.random().toString(36).slice(2)}`;
  process.env.OUTBOX_DIR = dir;
  process.env.WEBHOOK_SECRETS = 'webhook-secret-current-0123456789';
  process.env.REPLY_DOMAIN = 'reply.example.com';
  process.env.REPLY_SECRETS = 'reply-secret-current-0123456789';
  return dir;
});

const ALWAYS = {
  timezone: 'UTC',
  days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  from: '00:00',
  to: '24:00',
};
const step = (id: string, delay = { days: 0 }) => ({ id, delay, template: 'tips', category: 'marketing' });

let stream: Awaited<ReturnType<typeof useScoringTable>>;
let server: CapturingSmtpServer;
let smtp: SmtpProvider;

beforeAll(async () => {
  stream = await useScoringTable();
  server = await startSmtpServer();
  smtp = smtpProvider({ url: server.url });
  await applyConfig('sequence', {
    id: 'trial-a',
    name: 'Trial, first',
    start: { kind: 'event', event: 'Trial Started' },
    priority: 1,
    steps: [step('one', { days: 30 })],
    sendWindow: ALWAYS,
  });
  await applyConfig('sequence', {
    id: 'trial-b',
    name: 'Feature, second',
    start: { kind: 'event', event: 'Feature *' },
    priority: 1,
    steps: [step('one', { days: 30 })],
    sendWindow: ALWAYS,
  });
  await applyConfig('sequence', {
    id: 'nurture',
    name: 'Pre-sale nurture',
    start: { kind: 'qualified', icp: 'saas-midmarket' },
    priority: 1,
    match: { grades: ['A', 'B'] },
    replyTo: 'Sales <sales@example.com>',
    steps: [step('intro'), step('follow-up', { days: 3 })],
    sendWindow: ALWAYS,
  });
});

beforeEach(async () => {
  await drainIntoScores(stream);
  await drainAll(smtp);
  server.messages.length = 0;
});

afterAll(async () => {
  smtp.close();
  await server.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

/** A consenting mid-market CTO (grade A) known by a userId. */
async function person(extra: Record<string, unknown> = { consent: 'yes' }) {
  const tag = randomUUID();
  const email = `cto-${tag}@acme.example`;
  const prospectId = await submitForm({ ...ctoFields(tag), ...extra });
  await sendEvents([{ type: 'identify', userId: `u-${tag}`, traits: { email } }]);
  await drainIntoScores(stream);
  return { tag, email, prospectId, userId: `u-${tag}` };
}

const track = (userId: string, event: string) =>
  sendEvents([{ type: 'track', userId, event, messageId: `${event}-${randomUUID()}` }]);

const enrollments = async (prospectId: string) => (await onboardingOf(prospectId)).enrollments;

describe('sequences that start on something other than a conversion', () => {
  it('starts on a track event exactly once, however often the stream replays it', async () => {
    const { prospectId, userId } = await person();
    await track(userId, 'Trial Started');
    const records = await drainIntoScores(stream);
    expect((await deliver(records)).batchItemFailures).toEqual([]);
    expect((await deliver(records)).batchItemFailures).toEqual([]);

    // The trial also qualifies them: pre-sale nurture starts too, in its own lane.
    expect((await enrollments(prospectId)).filter((item) => item.start.kind === 'event')).toEqual([
      expect.objectContaining({
        sequenceId: 'trial-a',
        status: 'active',
        start: { kind: 'event', detail: 'event Trial Started' },
      }),
    ]);
  });

  it('keeps a person in at most one sequence per start kind at a time', async () => {
    const { prospectId, userId } = await person();
    await track(userId, 'Trial Started');
    await drainIntoScores(stream);
    await track(userId, 'Feature Used');
    await drainIntoScores(stream);
    const byEvent = async () => (await enrollments(prospectId)).filter((item) => item.start.kind === 'event');
    expect((await byEvent()).map((item) => item.sequenceId)).toEqual(['trial-a']);

    // Once the first is over, the same kind may start the next.
    await endEnrollment(prospectId, 'trial-a', 'exited', 'test', new Date());
    await track(userId, 'Feature Used');
    await drainIntoScores(stream);
    expect((await byEvent()).map((item) => [item.sequenceId, item.status])).toEqual([
      ['trial-a', 'exited'],
      ['trial-b', 'active'],
    ]);
    // A person goes through a sequence once: the first one does not start again.
    await endEnrollment(prospectId, 'trial-b', 'exited', 'test', new Date());
    await track(userId, 'Trial Started');
    await drainIntoScores(stream);
    expect((await byEvent()).map((item) => item.status)).toEqual(['exited', 'exited']);
  });

  it('starts on a given form, not on another', async () => {
    await applyConfig('sequence', {
      id: 'webinar-follow-up',
      name: 'Webinar',
      start: { kind: 'form', form: 'demo-request' },
      priority: 50,
      steps: [step('one')],
      sendWindow: ALWAYS,
    });
    const { prospectId, userId } = await person();
    expect(await enrollments(prospectId)).toEqual([
      expect.objectContaining({
        sequenceId: 'webinar-follow-up',
        start: { kind: 'form', detail: 'form demo-request' },
      }),
    ]);
    await track(userId, 'Webinar Watched');
    await drainIntoScores(stream);
    expect((await enrollments(prospectId)).map((item) => item.sequenceId)).toEqual(['webinar-follow-up']);
  });

  it('asks how the first conversation went after the first sales response to a demo request (example config)', async () => {
    const { prospectId, email } = await person();
    // A note is internal: nobody was answered.
    await logSalesActivity(prospectId, 'note', new Date());
    await drainIntoScores(stream);
    expect((await enrollments(prospectId)).map((item) => item.sequenceId)).not.toContain('demo-follow-up');

    await logSalesActivity(prospectId, 'call', new Date());
    await drainIntoScores(stream);
    await logSalesActivity(prospectId, 'meeting', new Date(Date.now() + 1000));
    await drainIntoScores(stream);
    const followUp = await enrollmentOf(prospectId, 'demo-follow-up');
    expect(followUp.start).toEqual({ kind: 'first-response', detail: 'first response to demo-request' });
    expect(
      (await enrollments(prospectId)).filter((item) => item.sequenceId === 'demo-follow-up'),
    ).toHaveLength(1);

    await dispatchAt(followUp.nextDueAt!, smtp);
    const mail = server.messages.find(
      (message) =>
        message.envelope.to.includes(email) && message.subject === 'How was your first conversation with us?',
    );
    expect(mail).toBeDefined();
    expect([...(mail?.text ?? '').matchAll(/^([1-5]): http/gm)].map((match) => match[1])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
  });

  it('starts pre-sale nurture on qualification, only with marketing consent', async () => {
    const consenting = await person();
    const withoutConsent = await person({ consent: '' });
    for (const { userId } of [consenting, withoutConsent]) await track(userId, 'Trial Started');
    await drainIntoScores(stream);
    const qualifiedOn = async (prospectId: string) =>
      (await readProspect(prospectId)).json().scores[0].qualified as boolean;
    expect(await qualifiedOn(consenting.prospectId)).toBe(true);
    expect(await qualifiedOn(withoutConsent.prospectId)).toBe(true);

    expect(await enrollmentOf(consenting.prospectId, 'nurture')).toMatchObject({
      status: 'active',
      start: { kind: 'qualified', detail: 'qualified on saas-midmarket' },
    });
    expect((await enrollments(withoutConsent.prospectId)).map((item) => item.sequenceId)).not.toContain(
      'nurture',
    );
  });
});

/** A reply as a mail client writes it, to the address the email's Reply-To gave. */
function replyMessage(
  to: string,
  from: string,
  text: string,
  messageId = `<${randomUUID()}@mail.acme.example>`,
) {
  return new MailComposer({
    from,
    to,
    subject: 'Re: Three tips for Acme',
    text,
    messageId,
    headers: { 'In-Reply-To': '<x@example.com>' },
  })
    .compile()
    .build();
}

describe('replies', () => {
  it('records a reply once as an email-reply touchpoint, scores it, and ends a pre-sale sequence', async () => {
    const { prospectId, email, userId } = await person();
    await track(userId, 'Trial Started');
    await drainIntoScores(stream);
    const nurture = await enrollmentOf(prospectId, 'nurture');
    await dispatchAt(nurture.nextDueAt!, smtp);
    // The nurture's email: the one whose replies also reach sales.
    const replyTo = server.messages
      .filter((message) => message.envelope.to.includes(email))
      .map((message) => (message.replyTo?.value ?? []).map((item) => item.address!))
      .find((addresses) => addresses.includes('sales@example.com'))!;
    expect(replyTo).toEqual([
      expect.stringMatching(/^reply\+1[a-f0-9]{52}@reply\.example\.com$/),
      'sales@example.com',
    ]);

    const raw = await replyMessage(
      replyTo[0]!,
      email,
      'Yes, let us talk on Tuesday.\n\nOn Mon, Maya wrote:\n> tips',
    );
    expect(await handleInboundMessage(raw, { envelopeRecipients: [replyTo[0]!] })).toMatchObject({
      status: 'recorded',
      prospectId,
      sequenceId: 'nurture',
    });
    // The same message received again (SES and SMTP both redeliver) is the same reply.
    expect(await handleInboundMessage(raw)).toMatchObject({ status: 'duplicate' });
    await drainIntoScores(stream);

    const prospect = (await readProspect(prospectId)).json();
    const replies = prospect.timeline.items.filter((item: { type: string }) => item.type === 'email-reply');
    expect(replies).toEqual([
      expect.objectContaining({
        type: 'email-reply',
        name: 'nurture',
        source: 'inbound-mail',
        properties: {
          sequenceId: 'nurture',
          stepId: 'intro',
          fromProspect: true,
          subject: 'Re: Three tips for Acme',
          excerpt: 'Yes, let us talk on Tuesday.',
        },
      }),
    ]);
    expect(prospect.scores[0].explanation.map((line: { text: string }) => line.text)).toContain(
      'Replied to our email (once this week): +15',
    );
    // For sales, a reply is the person's response: the nurture stops at its next step.
    const followUp = await enrollmentOf(prospectId, 'nurture');
    await dispatchAt(followUp.nextDueAt!, smtp);
    expect(await enrollmentOf(prospectId, 'nurture')).toMatchObject({ status: 'exited', reason: 'replied' });
  });

  it('attributes nothing to a forged, foreign or unknown reply address', async () => {
    const { prospectId, email, userId } = await person();
    await track(userId, 'Trial Started');
    await drainIntoScores(stream);
    const genuine = replyAddress(
      { prospectId, sequenceId: 'nurture', stepId: 'intro' },
      'reply.example.com',
      'reply-secret-current-0123456789',
    );
    const candidates = [
      genuine.replace(/[0-9a-f](?=@)/, (digit) => (digit === '0' ? '1' : '0')),
      replyAddress(
        { prospectId, sequenceId: 'nurture', stepId: 'intro' },
        'reply.example.com',
        'someone-elses-secret-0123',
      ),
      // Validly signed, but for a send this person never had.
      replyAddress(
        { prospectId, sequenceId: 'no-such-sequence', stepId: 'intro' },
        'reply.example.com',
        'reply-secret-current-0123456789',
      ),
      'sales@example.com',
    ];
    for (const address of candidates)
      expect(await handleInboundMessage(await replyMessage(address, email, 'Hello'))).toEqual({
        status: 'unattributed',
      });
    await drainIntoScores(stream);
    const timeline = (await readProspect(prospectId)).json().timeline.items;
    expect(timeline.filter((item: { type: string }) => item.type === 'email-reply')).toEqual([]);
  });
});

describe('message categories and onboarding.skipped', () => {
  const report = async (groupBy: string, day = new Date().toISOString().slice(0, 10)) => {
    const response = await invoke(experienceReport, {
      method: 'GET',
      url: `/v1/experience?icp=saas-midmarket&from=${day}&to=${day}&groupBy=${groupBy}`,
      headers: { authorization: `Bearer ${readToken}` },
    });
    return response.json().groups as {
      group: string;
      onboarding: { skipped: number; reasons: Record<string, number> };
    }[];
  };

  it('records why a customer no sequence fits gets nothing, and counts it', async () => {
    const before = (await report('grade')).find((group) => group.group === 'D')!.onboarding;
    const email = `someone-${randomUUID()}@gmail.com`;
    const { prospectId, sequenceId } = (await convert({ email })).json();
    expect(sequenceId).toBeNull();
    expect((await onboardingOf(prospectId)).skipped).toEqual({
      code: 'no-sequence',
      reason: expect.stringMatching(/^no sequence matches: /),
      at: expect.any(String),
      sequenceId: null,
    });
    const after = (await report('grade')).find((group) => group.group === 'D')!.onboarding;
    expect(after.skipped).toBe(before.skipped + 1);
    expect(after.reasons['no-sequence']).toBe((before.reasons['no-sequence'] ?? 0) + 1);
  });

  it('passes over marketing steps without consent, sends transactional ones, and says so when nothing went', async () => {
    await applyConfig('sequence', {
      id: 'starter-onboarding',
      name: 'Starter',
      priority: 50,
      match: { plans: ['starter'] },
      steps: [
        { id: 'tips', template: 'tips', category: 'marketing' },
        { id: 'check-in', template: 'check-in', category: 'transactional' },
      ],
      sendWindow: ALWAYS,
    });
    await applyConfig('sequence', {
      id: 'news-onboarding',
      name: 'Newsy',
      priority: 51,
      match: { plans: ['news'] },
      steps: [{ id: 'tips', template: 'tips', category: 'marketing' }],
      sendWindow: ALWAYS,
    });
    const email = (tag: string) => `someone-${tag}@gmail.com`;
    const mixedTag = randomUUID();
    const mixed = (await convert({ email: email(mixedTag), plan: 'starter' })).json();
    expect(mixed.sequenceId).toBe('starter-onboarding');
    await drainAll(smtp);
    expect(
      server.messages.filter((m) => m.envelope.to.includes(email(mixedTag))).map((m) => m.subject),
    ).toEqual(['How is it going, there?']);
    const enrollment = await enrollmentOf(mixed.prospectId);
    expect(enrollment.steps.map((item) => [item.stepId, item.status, item.reason ?? null])).toEqual([
      ['tips', 'skipped', 'no marketing consent on record'],
      ['check-in', 'sent', null],
    ]);
    expect((await onboardingOf(mixed.prospectId)).skipped).toBeNull();

    const onlyMarketing = (await convert({ email: email(randomUUID()), plan: 'news' })).json();
    // drainAll sends as of a day far ahead: the skip is known, and counted, on that day.
    const skipDay = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);
    const before = (await report('sequence', skipDay)).find(
      (group) => group.group === 'news-onboarding',
    )?.onboarding;
    await drainAll(smtp);
    expect(await enrollmentOf(onlyMarketing.prospectId)).toMatchObject({
      status: 'exited',
      reason: 'no marketing consent on record',
    });
    expect((await onboardingOf(onlyMarketing.prospectId)).skipped).toEqual({
      code: 'no-marketing-consent',
      reason: 'no marketing consent on record',
      at: expect.any(String),
      sequenceId: 'news-onboarding',
    });
    const after = (await report('sequence', skipDay)).find(
      (group) => group.group === 'news-onboarding',
    )!.onboarding;
    expect(after.skipped).toBe((before?.skipped ?? 0) + 1);
    expect(after.reasons).toMatchObject({
      'no-marketing-consent': (before?.reasons['no-marketing-consent'] ?? 0) + 1,
    });
  });
});
