import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as experienceReport } from '../../functions/experience-report.js';
import type { GroupReport } from '../../lib/edge/experience/report-endpoint.js';
import { outboxProvider } from '../../lib/mail/outbox-provider.js';
import { invoke } from '../support/http.js';
import { convert, customer, dispatchAt, enrollmentOf } from '../support/onboarding.js';
import {
  deliver,
  drainIntoScores,
  logSalesActivity,
  readProspect,
  readToken,
  useScoringTable,
} from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

const outboxDir = vi.hoisted(() => {
  const dir = `outbox/test-${Math.random().toString(36).slice(2)}`;
  process.env.OUTBOX_DIR = dir;
  process.env.WEBHOOK_SECRETS = 'webhook-secret-current-0123456789';
  return dir;
});

const SEQUENCE = 'saas-midmarket-onboarding';
const HOUR = 3_600_000;
const provider = outboxProvider({ dir: outboxDir });

let stream: ReturnType<typeof streamReader>;
const records: DynamoDBRecord[] = [];

/** A customer converted and sent the welcome email, which gives `first-response`. */
async function welcomedCustomer() {
  const tag = randomUUID();
  const prospectId = await customer(tag);
  expect((await convert({ email: `cto-${tag}@acme.example`, plan: 'pro' })).json().sequenceId).toBe(SEQUENCE);
  const welcomeAt = new Date((await enrollmentOf(prospectId)).nextDueAt!);
  expect((await dispatchAt(welcomeAt, provider)).sent).toBeGreaterThanOrEqual(1);
  const [expectation] = (await enrollmentOf(prospectId)).expectations;
  expect(expectation).toMatchObject({ id: 'first-response', outcome: 'open', outcomeAt: null });
  return { prospectId, welcomeAt, deadline: new Date(expectation!.deadline) };
}

async function bySequence(from: Date, to: Date) {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const response = await invoke(experienceReport, {
    method: 'GET',
    url: `/v1/experience?icp=saas-midmarket&groupBy=sequence&from=${day(from)}&to=${day(to)}`,
    headers: { authorization: `Bearer ${readToken}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  const groups = response.json().groups as GroupReport[];
  return groups.find((group) => group.group === SEQUENCE)!.expectations;
}

/** The experience lines of the prospect's explanation, as GET /v1/prospects/{id} shows them now. */
async function experienceLines(prospectId: string): Promise<string[]> {
  const [score] = (await readProspect(prospectId)).json().scores as {
    explanation: { kind: string; text: string; points: number }[];
  }[];
  const lines = score!.explanation.filter((line) => line.kind === 'experience');
  expect(lines.every((line) => line.points === 0)).toBe(true);
  return lines.map((line) => line.text);
}

let kept: Awaited<ReturnType<typeof welcomedCustomer>>;
let ignored: Awaited<ReturnType<typeof welcomedCustomer>>;

beforeAll(async () => {
  stream = await useScoringTable();
  records.push(...(await drainIntoScores(stream)));
  kept = await welcomedCustomer();
  ignored = await welcomedCustomer();
  records.push(...(await drainIntoScores(stream)));
});

describe('expectations a sequence gives: met or broken, once', () => {
  it('counts a promise kept when a sales call comes before the deadline', async () => {
    // A call before the promise was given answers something else; a note is internal, so it answers nobody.
    await logSalesActivity(kept.prospectId, 'call', new Date(kept.welcomeAt.getTime() - HOUR));
    await logSalesActivity(kept.prospectId, 'note', new Date(kept.welcomeAt.getTime() + HOUR));
    records.push(...(await drainIntoScores(stream)));
    expect((await enrollmentOf(kept.prospectId)).expectations[0]).toMatchObject({ outcome: 'open' });

    const callAt = new Date(kept.welcomeAt.getTime() + 2 * HOUR);
    expect(callAt.getTime()).toBeLessThan(kept.deadline.getTime());
    await logSalesActivity(kept.prospectId, 'call', callAt);
    records.push(...(await drainIntoScores(stream)));
    expect((await enrollmentOf(kept.prospectId)).expectations[0]).toMatchObject({
      id: 'first-response',
      outcome: 'met',
      respondedAt: callAt.toISOString(),
      outcomeAt: expect.any(String),
    });
    expect(await experienceLines(kept.prospectId)).toEqual([
      expect.stringMatching(
        /^Waited (under a minute|\d+ (min|h|days)) for a first response after the demo request$/,
      ),
    ]);
  });

  it('breaks a promise once the dispatcher runs after its deadline with no response', async () => {
    // Exactly at the deadline a response could still keep it.
    expect((await dispatchAt(ignored.deadline, provider)).expectationsBroken).toBe(0);
    expect((await enrollmentOf(ignored.prospectId)).expectations[0]).toMatchObject({ outcome: 'open' });

    const after = new Date(ignored.deadline.getTime() + 60_000);
    expect((await dispatchAt(after, provider)).expectationsBroken).toBe(1);
    expect((await enrollmentOf(ignored.prospectId)).expectations[0]).toMatchObject({
      outcome: 'broken',
      outcomeAt: after.toISOString(),
    });
    expect(await experienceLines(ignored.prospectId)).toEqual([
      expect.stringMatching(/^Waiting (under a minute|\d+ min) for a first response since the demo request$/),
    ]);
    // The kept promise stays kept: the dispatcher never sees it again.
    expect((await enrollmentOf(kept.prospectId)).expectations[0]).toMatchObject({ outcome: 'met' });
  });

  it('reports given 2, met 1, broken 1 for the sequence', async () => {
    const from = new Date(Math.min(kept.welcomeAt.getTime(), ignored.welcomeAt.getTime()) - 86_400_000);
    const to = new Date(Math.max(kept.deadline.getTime(), ignored.deadline.getTime()) + 86_400_000);
    expect(await bySequence(from, to)).toEqual([
      expect.objectContaining({
        id: 'first-response',
        given: 2,
        met: 1,
        broken: 1,
        open: 0,
        decided: 2,
        metRate: 0.5,
      }),
    ]);
  });

  it('changes nothing when the stream replays every record and the dispatcher runs again', async () => {
    const from = new Date(Math.min(kept.welcomeAt.getTime(), ignored.welcomeAt.getTime()) - 86_400_000);
    const to = new Date(Math.max(kept.deadline.getTime(), ignored.deadline.getTime()) + 86_400_000);
    const before = await bySequence(from, to);
    const outcomes = async () =>
      Promise.all(
        [kept, ignored].map(async ({ prospectId }) => (await enrollmentOf(prospectId)).expectations),
      );
    const outcomesBefore = await outcomes();

    expect((await deliver(records)).batchItemFailures).toEqual([]);
    const later = new Date(ignored.deadline.getTime() + 5 * 60_000);
    const runs = await Promise.all([dispatchAt(later, provider), dispatchAt(later, provider)]);
    expect(runs.map((run) => run.expectationsBroken)).toEqual([0, 0]);
    // A late call, after the promise was broken, does not turn it into a kept one.
    await logSalesActivity(ignored.prospectId, 'call', new Date(ignored.deadline.getTime() + HOUR));
    await drainIntoScores(stream);

    expect(await bySequence(from, to)).toEqual(before);
    expect(await outcomes()).toEqual(outcomesBefore);
  });

  it('breaks a promise once when two dispatcher runs find it due at the same time', async () => {
    const third = await welcomedCustomer();
    const after = new Date(third.deadline.getTime() + 60_000);
    const runs = await Promise.all([dispatchAt(after, provider), dispatchAt(after, provider)]);
    expect(runs.map((run) => run.expectationsBroken).sort()).toEqual([0, 1]);
    const from = new Date(third.welcomeAt.getTime() - 86_400_000);
    const to = new Date(third.deadline.getTime() + 86_400_000);
    const [summary] = (await bySequence(from, to))!;
    expect(summary).toMatchObject({ given: 3, broken: 2, met: 1, open: 0 });
  });
});
