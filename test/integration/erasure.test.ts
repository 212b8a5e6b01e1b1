import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import icpDocument from '../../config/example/icps/saas-midmarket.json' with { type: 'json' };
import { handler as eraseProspect } from '../../functions/erase-prospect.js';
import { handler as logActivity } from '../../functions/log-activity.js';
import { handler as manageConfig } from '../../functions/manage-config.js';
import { handler as manageConsent } from '../../functions/manage-consent.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { emailHash } from '../../lib/identity/identity.js';
import type { MailProvider } from '../../lib/mail/index.js';
import { type SmtpProvider, smtpProvider } from '../../lib/mail/smtp-provider.js';
import type { IdentityKind } from '../../lib/model/prospect.js';
import { signUnsubscribeToken } from '../../lib/onboarding/unsubscribe-token.js';
import { runRescores } from '../../lib/pipeline/rescore.js';
import { prospectIdHash } from '../../lib/privacy/erase.js';
import { documents, tableName } from '../../lib/store/client.js';
import { beginErasure } from '../../lib/store/erasure.js';
import { keys, type TableKey } from '../../lib/store/keys.js';
import { decodeStaleRanks } from '../../lib/store/scores.js';
import { claimStep } from '../../lib/store/send-records.js';
import { invoke, jsonRequest } from '../support/http.js';
import {
  convert,
  customer,
  dispatchAt,
  drainAll,
  enrollmentOf,
  unsubscribeRequest,
} from '../support/onboarding.js';
import {
  drainIntoScores,
  readProspect,
  sendEvents,
  submitForm,
  useScoringTable,
} from '../support/scoring.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';
import type { streamReader } from '../support/stream.js';

const outboxDir = vi.hoisted(() => {
  const dir = `outbox/test-${Math.random().toString(36).slice(2)}`;
  process.env.OUTBOX_DIR = dir;
  process.env.WEBHOOK_SECRETS = 'webhook-secret-current-0123456789';
  return dir;
});

const SECOND_ICP = 'erasure-second-icp';
const adminToken = signLocalToken(['admin'], { subject: 'dpo@example.com' });
const writeToken = signLocalToken(['prospects:write']);
const readToken = signLocalToken(['prospects:read']);

let stream: ReturnType<typeof streamReader>;
let server: CapturingSmtpServer;
let smtp: SmtpProvider;

beforeAll(async () => {
  stream = await useScoringTable();
  // A second ICP, served, so that the person has a score (and ranking entries) on two.
  const put = await invoke(manageConfig, {
    ...jsonRequest(
      'PUT',
      `/v1/config/icps/${SECOND_ICP}`,
      { ...icpDocument, id: SECOND_ICP },
      {
        authorization: `Bearer ${adminToken}`,
      },
    ),
    pathParameters: { kind: 'icps', id: SECOND_ICP },
  });
  expect(put.statusCode).toBe(201);
  await runRescores(() => new Date(), Date.now() + 10_000);
  server = await startSmtpServer();
  smtp = smtpProvider({ url: server.url });
});

beforeEach(async () => {
  await drainAll(smtp);
  server.messages.length = 0;
});

afterAll(async () => {
  smtp.close();
  await server.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

const erase = (id: string, token: string | null = adminToken) =>
  invoke(eraseProspect, {
    method: 'DELETE',
    url: `/v1/prospects/${id}`,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    pathParameters: { id },
  });

const withdraw = (id: string, body: unknown, token: string | null = writeToken) =>
  invoke(manageConsent, {
    ...jsonRequest(
      'POST',
      `/v1/prospects/${id}/consent`,
      body,
      token ? { authorization: `Bearer ${token}` } : {},
    ),
    pathParameters: { id },
  });

const to = (email: string) => server.messages.filter((message) => message.envelope.to.includes(email));

async function enrolledCustomer() {
  const tag = randomUUID();
  const email = `cto-${tag}@acme.example`;
  const prospectId = await customer(tag);
  expect((await convert({ email, plan: 'pro' })).json().sequenceId).toBe('saas-midmarket-onboarding');
  return { prospectId, email, tag };
}

async function partition(prospectId: string): Promise<Record<string, unknown>[]> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.prospectPartition(prospectId) },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

async function exists(key: TableKey): Promise<boolean> {
  const result = await documents.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  return result.Item !== undefined;
}

/** Every item of the table and of GSI1 that mentions any of `needles` (a test may Scan; the code never does). */
async function traces(needles: string[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (const indexName of [undefined, 'GSI1']) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({
          TableName: tableName,
          ...(indexName ? { IndexName: indexName } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const text = JSON.stringify(item, (_key, value) => (value instanceof Set ? [...value] : value));
        if (needles.some((needle) => text.includes(needle))) found.push(item);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return found;
}

describe('DELETE /v1/prospects/{id}', () => {
  it('erases every item of the person, keeping only the tombstone and the suppression of an unsubscribe', async () => {
    // Given a known person with a merged anonymous history, touchpoints of every kind, scores on two ICPs,
    // an enrollment with a sent step, an unsubscribe and a consent withdrawal.
    const tag = randomUUID();
    const email = `cto-${tag}@acme.example`;
    const userId = `user-${tag}`;
    const anonymousId = `anon-${tag}`;
    const previousId = `old-${tag}`;
    const prospectId = await customer(tag);
    await sendEvents(
      ['/', '/pricing'].map((path) => ({
        type: 'page',
        anonymousId,
        name: path,
        properties: { path },
        messageId: `${tag}${path}`,
      })),
    );
    await sendEvents([{ type: 'identify', anonymousId, userId, traits: { email } }]);
    await sendEvents([
      { type: 'track', userId, event: 'Trial Started' },
      { type: 'screen', userId, name: 'Dashboard' },
      { type: 'group', userId, groupId: `group-${tag}` },
      { type: 'alias', userId, previousId },
    ]);
    const activity = await invoke(logActivity, {
      ...jsonRequest(
        'POST',
        `/v1/prospects/${prospectId}/touchpoints`,
        { type: 'call', note: 'Talked about pricing' },
        { authorization: `Bearer ${writeToken}` },
      ),
      pathParameters: { id: prospectId },
    });
    expect(activity.statusCode).toBe(202);
    expect((await convert({ email, plan: 'pro' })).json().sequenceId).toBe('saas-midmarket-onboarding');
    await drainIntoScores(stream);
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    // The call before the conversion was a first response: its CSAT survey went out too.
    const welcome = to(email).find((message) => message.subject === 'Welcome to Example, Cora');
    const link = new URL((welcome!.headers.get('list') as { unsubscribe: { url: string } }).unsubscribe.url);
    expect(
      (await unsubscribeRequest('POST', `${link.pathname}${link.search}`, 'List-Unsubscribe=One-Click'))
        .statusCode,
    ).toBe(200);
    expect((await withdraw(prospectId, { marketing: false })).statusCode).toBe(200);
    await drainIntoScores(stream);
    // One touchpoint the scorer has not seen yet: its stream record arrives after the erasure.
    await sendEvents([{ type: 'track', userId, event: 'Late Event' }]);

    const before = await partition(prospectId);
    const touchpoints = before.filter((item) => String(item.SK).startsWith('T#'));
    expect(new Set(touchpoints.map((item) => item.type))).toEqual(
      new Set([
        'form',
        'page',
        'identify',
        'track',
        'screen',
        'group',
        'alias',
        'activity',
        'conversion',
        'email',
        'consent',
        ...touchpoints.filter((item) => item.type === 'qualified').map(() => 'qualified'),
      ]),
    );
    const visitorIds = [
      ...new Set(touchpoints.flatMap((item) => (item.mergedFrom ? [item.mergedFrom] : []))),
    ];
    expect(visitorIds).toHaveLength(1);
    const visitorId = visitorIds[0] as string;
    expect(await exists(keys.prospectProfile(visitorId))).toBe(true);
    const scoreItems = before.filter((item) => String(item.SK).startsWith('SCORE#'));
    expect(new Set(scoreItems.map((item) => item.icpId))).toEqual(new Set(['saas-midmarket', SECOND_ICP]));
    const rankKeys = scoreItems.flatMap((item) =>
      [...(item.rank ? [item.rank] : []), ...decodeStaleRanks(item)].map((rank) => {
        const { shard, sortKey } = rank as { shard: number; sortKey: string };
        return keys.rankEntry(item.icpId as string, item.version as number, shard, sortKey);
      }),
    );
    expect(rankKeys.length).toBeGreaterThanOrEqual(2);
    for (const key of rankKeys) expect(await exists(key)).toBe(true);
    expect(before.some((item) => String(item.SK).startsWith('ENR#'))).toBe(true);
    expect(before.some((item) => String(item.SK).startsWith('SEND#'))).toBe(true);
    const markerKeys = touchpoints.flatMap((item) =>
      item.dedupKey ? [keys.dedupByPartition(item.dedupKey as string)] : [],
    );
    // Every captured touchpoint names its marker; only the scorer's announcements have none.
    expect(markerKeys).toHaveLength(touchpoints.filter((item) => item.type !== 'qualified').length);
    for (const key of markerKeys) expect(await exists(key)).toBe(true);
    const hash = emailHash(email);
    const aliasKeys = (
      [
        ['user', userId],
        ['email', hash],
        ['anon', anonymousId],
        ['anon', previousId],
      ] as [IdentityKind, string][]
    ).map(([kind, value]) => keys.identity(kind, value));
    for (const key of aliasKeys) expect(await exists(key)).toBe(true);

    // When an admin erases the person
    const response = await erase(prospectId);

    // Then the answer says what was erased and what was kept
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      prospectId,
      status: 'erased',
      erased: {
        touchpoints: touchpoints.length,
        scores: scoreItems.length,
        rankingEntries: rankKeys.length,
        // The conversion's onboarding, and the follow-up the sales call (the first response) started.
        enrollments: before.filter((item) => String(item.SK).startsWith('ENR#')).length,
        sendRecords: before.filter((item) => String(item.SK).startsWith('SEND#')).length,
        aliases: 4,
        dedupMarkers: markerKeys.length,
        mergedProfiles: 1,
      },
      kept: {
        tombstone: { prospectIdHash: prospectIdHash(prospectId), erasedBy: 'dpo@example.com' },
        suppression: 'unsubscribe',
      },
    });

    // and nothing of the person remains under any key pattern or index
    await drainIntoScores(stream);
    expect(await partition(prospectId)).toEqual([]);
    expect(await partition(visitorId)).toEqual([]);
    for (const key of [...aliasKeys, ...rankKeys, ...markerKeys])
      expect(await exists(key), key.PK).toBe(false);
    for (let shard = 0; shard < 4; shard++) {
      for (const gsi1pk of [keys.onboardingDuePartition(shard), keys.requalifyDuePartition(shard)]) {
        const due = await documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'GSI1',
            KeyConditionExpression: 'GSI1PK = :pk',
            ExpressionAttributeValues: { ':pk': gsi1pk },
          }),
        );
        expect((due.Items ?? []).filter((item) => String(item.GSI1SK).includes(prospectId))).toEqual([]);
      }
    }
    // The welcome's link unsubscribed from onboarding emails: that objection stays.
    expect(await exists(keys.categorySuppression(hash, 'transactional'))).toBe(true);
    const tombstones = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': keys.tombstonePartition(prospectIdHash(prospectId)) },
        ConsistentRead: true,
      }),
    );
    expect(tombstones.Items).toHaveLength(1);
    // A whole-table and index search for anything that names the person: only the suppression (by the
    // address's keyed hash) is left; the tombstone names none of it.
    const left = await traces([prospectId, visitorId, email, hash, userId, anonymousId, previousId]);
    expect(new Set(left.map((item) => item.PK))).toEqual(new Set([keys.suppression(hash).PK]));
    expect(JSON.stringify(tombstones.Items)).not.toMatch(new RegExp(`${tag}|${prospectId}|Cora|Acme`));
    expect((await readProspect(prospectId)).statusCode).toBe(404);

    // Erasing again is harmless: the same account, nothing changed
    const again = await erase(prospectId);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      status: 'already-erased',
      erased: body.erased,
      erasedAt: body.erasedAt,
    });
    expect(await traces([prospectId, visitorId, email, hash, userId, anonymousId, previousId])).toEqual(left);

    // A later consented form submission creates a new prospect, with only what it carries
    const reborn = await customer(tag);
    const fresh = (await readProspect(reborn)).json();
    expect(fresh.timeline.items.map((item: { type: string }) => item.type)).toEqual(['form']);
    expect(fresh.identities).toEqual({ userId: null, anonymousIds: [] });
    expect(fresh.onboarding.enrollments).toEqual([]);
  });

  it('sends nothing more once a prospect is erased between two steps', async () => {
    const { prospectId, email } = await enrolledCustomer();
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    expect(to(email)).toHaveLength(1);
    expect((await erase(prospectId)).statusCode).toBe(200);
    await drainAll(smtp);
    expect(to(email)).toHaveLength(1);
    expect(await partition(prospectId)).toEqual([]);
  });

  it('erases a prospect mid-send: the step in flight is not recorded back, and nothing more is sent', async () => {
    const { prospectId, email } = await enrolledCustomer();
    const erasing: MailProvider = {
      name: 'smtp',
      send: async (mail) => {
        // The step is claimed; the erasure happens before the provider answers.
        if (mail.to === email) expect((await erase(prospectId)).statusCode).toBe(200);
        return smtp.send(mail);
      },
    };
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, erasing);
    expect(await partition(prospectId)).toEqual([]);
    expect(await traces([prospectId])).toEqual([]);
    await drainAll(smtp);
    expect(to(email)).toHaveLength(1);
  });

  it('lets no dispatcher run claim a step once the erasure has begun, and finishes an erasure that stopped halfway', async () => {
    const { prospectId, email } = await enrolledCustomer();
    const { nextDueAt } = await enrollmentOf(prospectId);
    // An erasure that crashed right after its first step: the profile is marked, nothing is deleted yet.
    expect(await beginErasure(prospectId, 'dpo@example.com', new Date())).toBeDefined();
    // A run that read the profile before the mark cannot claim the step.
    const claim = await claimStep({
      prospectId,
      sequenceId: 'saas-midmarket-onboarding',
      stepId: 'welcome',
      stepIndex: 0,
      emailHash: emailHash(email),
      token: randomUUID(),
      now: new Date(nextDueAt!),
      // A transactional step needs no consent: the erasure alone refuses it.
      terms: { category: 'transactional', needsConsent: false },
    });
    expect(claim).toBe('not-mailable');
    await drainAll(smtp);
    expect(to(email)).toHaveLength(0);
    // Asking again finishes the erasure.
    const response = await erase(prospectId);
    expect(response.json()).toMatchObject({ status: 'erased', erased: { enrollments: 1 } });
    expect(await partition(prospectId)).toEqual([]);
  });

  it('refuses without a token (401), without admin (403), and for an unknown or malformed id (404)', async () => {
    const prospectId = await submitForm({ email: `keep-${randomUUID()}@acme.example`, consent: 'yes' });
    expect((await erase(prospectId, null)).statusCode).toBe(401);
    const forbidden = await erase(prospectId, writeToken);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().message).toMatch(/admin/);
    expect((await erase('0123456789abcdef01234567')).statusCode).toBe(404);
    expect((await erase('not-an-id')).statusCode).toBe(404);
    expect((await readProspect(prospectId)).statusCode).toBe(200);
  });
});

describe('POST /v1/prospects/{id}/consent', () => {
  it('withdraws marketing consent, keeps its proof; transactional onboarding goes on, marketing does not', async () => {
    const { prospectId, email, tag } = await enrolledCustomer();
    const response = await withdraw(prospectId, { marketing: false });
    expect(response.statusCode).toBe(200);
    const consent = response.json().consent;
    // The example onboarding is all service messages: it needs no marketing consent, so it is not ended.
    expect(response.json()).toMatchObject({ prospectId, enrollmentsEnded: 0 });
    expect(consent).toMatchObject({
      formId: 'demo-request',
      version: expect.any(String),
      text: expect.any(String),
      givenAt: expect.any(String),
      marketing: false,
      withdrawnAt: expect.any(String),
      withdrawnVia: 'api',
    });
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'active' });
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    expect(to(email).map((message) => message.subject)).toEqual(['Welcome to Example, Cora']);

    const prospect = (await readProspect(prospectId)).json();
    expect(prospect.consent).toEqual(consent);
    expect(prospect.timeline.items[0]).toMatchObject({
      type: 'consent',
      name: 'withdrawn',
      properties: { marketing: false, formId: 'demo-request' },
    });

    // Withdrawing again changes nothing and records nothing new.
    const again = await withdraw(prospectId, { marketing: false });
    expect(again.json()).toMatchObject({ consent, enrollmentsEnded: 0 });
    const timeline = (await readProspect(prospectId)).json().timeline.items;
    expect(timeline.filter((item: { type: string }) => item.type === 'consent')).toHaveLength(1);

    // Giving it again is a consenting form, which replaces the withdrawn record with new proof.
    await customer(tag, { job_title: 'CEO' });
    expect((await readProspect(prospectId)).json().consent).toMatchObject({ marketing: true });
    expect((await readProspect(prospectId)).json().consent.withdrawnAt).toBeUndefined();
  });

  it('unsubscribing from marketing withdraws consent the same way; from onboarding emails it does not', async () => {
    const { prospectId, email } = await enrolledCustomer();
    await dispatchAt((await enrollmentOf(prospectId)).nextDueAt!, smtp);
    const [welcome] = to(email);
    const link = new URL((welcome!.headers.get('list') as { unsubscribe: { url: string } }).unsubscribe.url);
    await unsubscribeRequest('POST', `${link.pathname}${link.search}`, 'List-Unsubscribe=One-Click');
    expect((await readProspect(prospectId)).json().consent).toMatchObject({ marketing: true });
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'exited', reason: 'unsubscribed' });

    const marketing = signUnsubscribeToken(
      { prospectId, emailHash: emailHash(email), category: 'marketing' },
      'local-development-secret-change-me',
    );
    await unsubscribeRequest('POST', `/v1/unsubscribe?token=${marketing}`, 'List-Unsubscribe=One-Click');
    expect((await readProspect(prospectId)).json().consent).toMatchObject({
      marketing: false,
      withdrawnVia: 'unsubscribe',
      withdrawnAt: expect.any(String),
    });
  });

  it('refuses bad requests naming the field, and unknown prospects, tokens and scopes', async () => {
    const { prospectId } = await enrolledCustomer();
    const giving = await withdraw(prospectId, { marketing: true });
    expect(giving.statusCode).toBe(400);
    expect(giving.json().errors).toEqual([
      { field: 'marketing', message: expect.stringMatching(/can only be false here/) },
    ]);
    const missing = await withdraw(prospectId, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors.map((error: { field: string }) => error.field)).toEqual(['marketing']);
    expect((await withdraw(prospectId, 'nope')).statusCode).toBe(400);
    expect((await withdraw('0123456789abcdef01234567', { marketing: false })).statusCode).toBe(404);
    expect((await withdraw('bad', { marketing: false })).statusCode).toBe(404);
    expect((await withdraw(prospectId, { marketing: false }, null)).statusCode).toBe(401);
    expect((await withdraw(prospectId, { marketing: false }, readToken)).statusCode).toBe(403);
    // Nothing was withdrawn by the refused requests.
    expect((await enrollmentOf(prospectId)).status).toBe('active');
  });
});
