import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as answerSurvey } from '../../functions/answer-survey.js';
import { handler as experienceReport } from '../../functions/experience-report.js';
import { applyConfig } from '../../lib/configuration/config-kinds.js';
import { type SmtpProvider, smtpProvider } from '../../lib/mail/smtp-provider.js';
import { signSurveyToken } from '../../lib/onboarding/survey-token.js';
import { getProfile } from '../../lib/store/profiles.js';
import { invoke } from '../support/http.js';
import { dispatchAt, drainAll, onboardingOf } from '../support/onboarding.js';
import {
  ctoFields,
  drainIntoScores,
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
  process.env.SURVEY_SECRETS = 'survey-secret-current-0123456789';
  process.env.SURVEY_MIN_DAYS_BETWEEN = '90';
  return dir;
});

const SECRET = 'survey-secret-current-0123456789';
let stream: Awaited<ReturnType<typeof useScoringTable>>;
let server: CapturingSmtpServer;
let smtp: SmtpProvider;

/** Any day, any hour: a step is sendable the moment it is due. */
const ALWAYS = {
  timezone: 'UTC',
  days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  from: '00:00',
  to: '24:00',
};

beforeAll(async () => {
  stream = await useScoringTable();
  server = await startSmtpServer();
  smtp = smtpProvider({ url: server.url });
  // Two sequences that ask, started by two track events: the frequency cap is across sequences.
  for (const [id, event, kind] of [
    ['trial-nps', 'Trial Started', 'nps'],
    ['upgrade-csat', 'Plan Upgraded', 'csat'],
  ] as const)
    await applyConfig('sequence', {
      id,
      name: `Survey on ${event}`,
      start: { kind: 'event', event },
      priority: 1,
      steps: [
        {
          id: 'ask',
          category: 'marketing',
          survey: { kind, question: `How is it going (${kind})?`, commentPrompt: 'Tell us more' },
        },
      ],
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

/** A consenting prospect who does `event`, enrolled (from the stream) and sent the survey; its answer links. */
async function surveyed(event = 'Trial Started') {
  const tag = randomUUID();
  const email = `cto-${tag}@acme.example`;
  const prospectId = await submitForm({ ...ctoFields(tag), consent: 'yes' });
  await sendEvents([{ type: 'identify', userId: `u-${tag}`, traits: { email } }]);
  await sendEvents([{ type: 'track', event, userId: `u-${tag}`, messageId: `${event}-${tag}` }]);
  await drainIntoScores(stream);
  const enrollment = (await onboardingOf(prospectId)).enrollments.find((item) => item.status === 'active');
  if (!enrollment) return { prospectId, email, tag, links: new Map<number, string>() };
  await dispatchAt(enrollment.nextDueAt!, smtp);
  const mail = server.messages.find((message) => message.envelope.to.includes(email));
  const links = new Map<number, string>();
  for (const match of (mail?.text ?? '').matchAll(/^(\d+): (\S+)$/gm))
    links.set(Number(match[1]), match[2]!.replace(/^http:\/\/localhost:3000/, ''));
  return { prospectId, email, tag, links, mail };
}

const request = (method: 'GET' | 'POST', url: string, body?: string) =>
  invoke(answerSurvey, {
    method,
    url,
    headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
    ...(body === undefined ? {} : { body }),
  });

const surveyItems = async (prospectId: string) =>
  (await readProspect(prospectId))
    .json()
    .timeline.items.filter((item: { type: string }) => item.type === 'survey');

describe('surveys as steps', () => {
  it('emails the question with one signed link per answer, and the footer', async () => {
    const { links, mail } = await surveyed();

    expect(mail?.subject).toBe('How is it going (nps)?');
    expect([...links.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(links.values()).size).toBe(11);
    expect(mail?.text).toContain('Example Inc., 2261 Market Street #4321, San Francisco, CA 94114, USA');
    expect(mail?.text).toMatch(
      /Unsubscribe from marketing emails: http:\/\/localhost:3000\/v1\/unsubscribe\?token=v2\./,
    );
  });

  it('shows the answer page on GET and records nothing; POST records once, a second POST replaces it', async () => {
    const { prospectId, links } = await surveyed();
    const link = links.get(9)!;

    for (let visit = 0; visit < 3; visit++) {
      const page = await request('GET', link);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('How is it going (nps)?');
      expect(page.body).toContain('value="9" checked');
      expect(page.body).toContain('Tell us more');
    }
    await drainIntoScores(stream);
    expect(await surveyItems(prospectId)).toEqual([]);
    expect(((await onboardingOf(prospectId)) as { surveys?: unknown[] }).surveys).toEqual([]);

    const first = await request('POST', link, 'answer=9&comment=Great+onboarding');
    expect(first.statusCode).toBe(200);
    await drainIntoScores(stream);
    let prospect = (await readProspect(prospectId)).json();
    expect(prospect.onboarding.surveys).toEqual([
      expect.objectContaining({ kind: 'nps', answer: 9, comment: 'Great onboarding', revision: 1 }),
    ]);
    expect(prospect.scores[0].explanation).toContainEqual(
      expect.objectContaining({ text: 'Would recommend us (NPS 9-10) (once this week): +10' }),
    );

    // Replayed, then changed on the page: still one survey, with the latest answer and comment.
    await request('POST', link, 'answer=9&comment=Great+onboarding');
    const changed = await request('POST', link, 'answer=3&comment=Actually%2C+the+import+broke');
    expect(changed.statusCode).toBe(200);
    await drainIntoScores(stream);
    prospect = (await readProspect(prospectId)).json();
    const items = prospect.timeline.items.filter((item: { type: string }) => item.type === 'survey');
    expect(items).toHaveLength(1);
    expect(items[0].properties).toMatchObject({ nps: 3, comment: 'Actually, the import broke' });
    expect(prospect.onboarding.surveys).toEqual([
      expect.objectContaining({ answer: 3, comment: 'Actually, the import broke', revision: 3 }),
    ]);
    const lines = prospect.scores[0].explanation.map((line: { text: string }) => line.text);
    expect(lines.some((text: string) => text.startsWith('Would recommend us'))).toBe(false);
    expect(lines).toContain('Unhappy with us (NPS 0-6) (once this week): -10');
    expect(lines.some((text: string) => text.startsWith('Answered NPS 3'))).toBe(true);
  });

  it('counts a changed answer once in the experience report', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const report = async () =>
      (
        await invoke(experienceReport, {
          method: 'GET',
          url: `/v1/experience?icp=saas-midmarket&from=${day}&to=${day}&groupBy=sequence`,
          headers: { authorization: `Bearer ${readToken}` },
        })
      )
        .json()
        .groups.find((group: { group: string }) => group.group === 'trial-nps');
    const before = (await report()).nps.prospects.answers as number;
    const { links } = await surveyed();
    await request('POST', links.get(10)!, '');
    await drainIntoScores(stream);
    expect((await report()).nps.prospects.answers).toBe(before + 1);
    await request('POST', links.get(10)!, 'answer=2');
    await drainIntoScores(stream);
    const after = await report();
    expect(after.nps.prospects.answers).toBe(before + 1);
  });

  it('refuses forged, foreign and expired tokens, and records nothing for them', async () => {
    const { prospectId, links } = await surveyed();
    const token = new URL(`http://x${links.get(7)!}`).searchParams.get('token')!;
    const payload = {
      prospectId,
      sequenceId: 'trial-nps',
      stepId: 'ask',
      kind: 'nps' as const,
      answer: 7,
      expires: Math.floor(Date.now() / 1000) + 3600,
    };
    const forged = token.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    const anotherSecret = signSurveyToken(payload, 'another-deployment-secret-0123');
    // Validly signed, but for a survey this person was never sent, or of another kind.
    const neverSent = signSurveyToken({ ...payload, sequenceId: 'upgrade-csat' }, SECRET);
    const otherKind = signSurveyToken({ ...payload, kind: 'csat', answer: 4 }, SECRET);
    const expired = signSurveyToken({ ...payload, expires: Math.floor(Date.now() / 1000) - 1 }, SECRET);

    for (const [bad, status] of [
      [forged, 400],
      [anotherSecret, 400],
      [neverSent, 404],
      [otherKind, 404],
      [expired, 410],
      ['', 400],
    ] as const) {
      for (const method of ['GET', 'POST'] as const) {
        const response = await request(
          method,
          `/v1/survey?token=${encodeURIComponent(bad)}`,
          method === 'POST' ? 'answer=1' : undefined,
        );
        expect(response.statusCode, `${method} ${bad.slice(0, 20)}`).toBe(status);
        expect(response.headers['content-type']).toContain('text/html');
      }
    }
    await drainIntoScores(stream);
    expect(await surveyItems(prospectId)).toEqual([]);
  });

  it('refuses an answer off the scale, naming the field, and a body too large', async () => {
    const { prospectId, links } = await surveyed();
    const response = await request('POST', links.get(5)!, 'answer=11');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('answer');
    const huge = await request('POST', links.get(5)!, `comment=${'x'.repeat(20_000)}`);
    expect(huge.statusCode).toBe(413);
    await drainIntoScores(stream);
    expect(await surveyItems(prospectId)).toEqual([]);
  });

  it('asks nobody twice within SURVEY_MIN_DAYS_BETWEEN, across sequences', async () => {
    const { prospectId, email, tag, links } = await surveyed('Trial Started');
    expect(links.size).toBe(11);
    // The same person starts the other survey sequence: its survey falls inside the cap.
    await sendEvents([{ type: 'track', event: 'Plan Upgraded', userId: `u-${tag}`, messageId: `up-${tag}` }]);
    await drainIntoScores(stream);
    const upgrade = (await onboardingOf(prospectId)).enrollments.find(
      (item) => item.sequenceId === 'upgrade-csat',
    );
    expect(upgrade?.status).toBe('active');
    server.messages.length = 0;
    await dispatchAt(new Date(Date.parse(upgrade!.nextDueAt!) + 86_400_000), smtp);
    expect(server.messages.filter((message) => message.envelope.to.includes(email))).toHaveLength(0);
    const done = (await onboardingOf(prospectId)).enrollments.find(
      (item) => item.sequenceId === 'upgrade-csat',
    );
    expect(done?.steps).toEqual([
      expect.objectContaining({
        stepId: 'ask',
        status: 'skipped',
        reason: expect.stringMatching(/^a survey was sent on \d{4}-\d\d-\d\d: at most one every 90 days$/),
      }),
    ]);
    expect((await getProfile(prospectId, true))?.lastSurvey).toMatchObject({ sequenceId: 'trial-nps' });
  });
});
