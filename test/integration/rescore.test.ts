import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import icpDocument from '../../config/example/icps/saas-midmarket.json' with { type: 'json' };
import { handler as manageConfig } from '../../functions/manage-config.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { runRescores } from '../../lib/pipeline/rescore.js';
import { claimSegment, listSegments } from '../../lib/store/rescore-store.js';
import { invoke, jsonRequest } from '../support/http.js';
import { drainIntoScores, readProspect, submitForm, useScoringTable } from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

const admin = { authorization: `Bearer ${signLocalToken(['admin'])}` };
let stream: ReturnType<typeof streamReader>;

beforeAll(async () => {
  stream = await useScoringTable();
});

const person = () => ({
  email: `rescore-${randomUUID()}@acme.example`,
  job_title: 'CTO',
  company_size: '250',
  industry: 'Software',
  country: 'DE',
});

async function score(prospectId: string) {
  const body = (await readProspect(prospectId)).json();
  return body.scores.find((item: { icpId: string }) => item.icpId === 'saas-midmarket');
}

const putIcp = (document: unknown) =>
  invoke(manageConfig, {
    ...jsonRequest('PUT', '/v1/config/icps/saas-midmarket', document, admin),
    pathParameters: { kind: 'icps', id: 'saas-midmarket' },
  });

const getIcp = async () =>
  (
    await invoke(manageConfig, {
      method: 'GET',
      url: '/v1/config/icps/saas-midmarket',
      headers: admin,
      pathParameters: { kind: 'icps', id: 'saas-midmarket' },
    })
  ).json();

describe('a new ICP version', () => {
  it('rescores every prospect in the background while readers keep the served version', async () => {
    const before = await submitForm(person());
    await drainIntoScores(stream);
    expect(await score(before)).toMatchObject({ version: 1, fit: 85 });

    const changed = structuredClone(icpDocument);
    changed.engagement.rules[0]!.points = 100;
    changed.fit.rules[0]!.points = 50;
    const put = await putIcp(changed);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ version: 2, changed: true, scoring: { serving: 1, building: 2 } });

    // While version 2 is built, readers see version 1, and new touchpoints count in both.
    const during = await submitForm(person());
    await drainIntoScores(stream);
    expect(await score(before)).toMatchObject({ version: 1, fit: 85 });
    expect(await score(during)).toMatchObject({ version: 1, fit: 85 });
    expect((await getIcp()).scoring).toMatchObject({
      serving: 1,
      building: 2,
      rescore: { version: 2, segmentsDone: 0, segments: 4 },
    });

    // A worker that crashed holding a segment does not block the rescore once its lease is over.
    const [segment] = await listSegments('saas-midmarket', 2);
    expect(await claimSegment(segment!, 'crashed-worker', Date.now() - 120_000, 1000)).toBe(true);

    const result = await runRescores(() => new Date(), Date.now() + 20_000);
    expect(result.completed).toEqual(['saas-midmarket@2']);
    const after = await getIcp();
    expect(after.scoring).toMatchObject({ serving: 2, building: null, rescore: null });
    expect(after.versions.map((item: { version: number }) => item.version)).toEqual([2, 1]);

    for (const prospectId of [before, during]) {
      const served = await score(prospectId);
      expect(served).toMatchObject({ version: 2, fit: 105, grade: 'A' });
      // The demo request now earns 100, counted once even for the one scored during the build.
      expect(served.engagement).toBeCloseTo(100, 1);
    }
  });

  it('refuses an invalid ICP with a 400 naming the field, and keeps the served version', async () => {
    const broken = structuredClone(icpDocument) as Record<string, unknown>;
    (broken.qualification as Record<string, unknown>).dropAt = 500;
    const response = await putIcp(broken);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toContainEqual(
      expect.objectContaining({ field: 'qualification.dropAt', message: 'dropAt must be below qualifyAt' }),
    );
    expect((await getIcp()).scoring.serving).toBe(2);
  });

  it('keeps the version of an unchanged document', async () => {
    const current = (await getIcp()).document;
    const response = await putIcp(current);
    expect(response.json()).toMatchObject({ version: 2, changed: false });
  });

  it('refuses a fifth ICP with a 400 naming the id: one touchpoint must fit one transaction', async () => {
    for (const id of ['icp-two', 'icp-three', 'icp-four']) {
      const created = await invoke(manageConfig, {
        ...jsonRequest('PUT', `/v1/config/icps/${id}`, { ...icpDocument, id }, admin),
        pathParameters: { kind: 'icps', id },
      });
      expect(created.statusCode).toBe(201);
    }
    const fifth = await invoke(manageConfig, {
      ...jsonRequest('PUT', '/v1/config/icps/icp-five', { ...icpDocument, id: 'icp-five' }, admin),
      pathParameters: { kind: 'icps', id: 'icp-five' },
    });
    expect(fifth.statusCode).toBe(400);
    expect(fifth.json().errors[0]).toMatchObject({
      field: 'id',
      message: expect.stringContaining('at most 4 ICPs'),
    });
    // An existing one may still change.
    expect((await putIcp(icpDocument)).statusCode).toBe(200);
  });
});
