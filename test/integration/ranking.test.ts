import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as listProspects } from '../../functions/list-prospects.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { handleListProspects } from '../../lib/edge/prospects/list-endpoint.js';
import { apiGatewayEvent } from '../../scripts/local/api-gateway.js';
import { invoke } from '../support/http.js';
import { drainIntoScores, listRanked, readToken, sendEvents, useScoringTable } from '../support/scoring.js';
import type { streamReader } from '../support/stream.js';

const DAY = 86_400_000;
const HALF_LIFE_DAYS = 14;
const now = Date.now();
const run = randomUUID().slice(0, 8);

type Person = {
  userId: string;
  email: string;
  traits: Record<string, unknown>;
  grade: 'A' | 'B' | 'C' | 'D';
  /** Days ago of each /docs page view (2 points each, at most 5 a day). */
  docsDaysAgo: number[];
};

// Fit by the example ICP: 250 employees +30, Software +20, CTO +25, DE +10 (A >= 60, B >= 40, C >= 20).
const profiles: Pick<Person, 'traits' | 'grade'>[] = [
  { traits: { employees: 250, industry: 'Software', title: 'CTO', country: 'DE' }, grade: 'A' },
  { traits: { employees: 250, industry: 'Software', title: 'Engineer' }, grade: 'B' },
  { traits: { employees: 250, title: 'Engineer' }, grade: 'C' },
  { traits: { employees: 5, title: 'Engineer' }, grade: 'D' },
];

let stream: ReturnType<typeof streamReader>;
const people: Person[] = [];

/** The decayed engagement computed directly from the events, independently of the stored sums. */
function expectedEngagement(person: Person, at: number): number {
  return person.docsDaysAgo.reduce(
    (total, daysAgo) => total + 2 * 2 ** (-(at - (now - daysAgo * DAY)) / (HALF_LIFE_DAYS * DAY)),
    0,
  );
}

const gradeOrder = { A: 4, B: 3, C: 2, D: 1 };

function expectedOrder(candidates: Person[], at: number): string[] {
  return [...candidates]
    .sort(
      (a, b) =>
        gradeOrder[b.grade] - gradeOrder[a.grade] || expectedEngagement(b, at) - expectedEngagement(a, at),
    )
    .map((person) => person.email);
}

async function walk(query: string, limit: number, between?: (page: number) => Promise<void>) {
  const emails: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const response = await listRanked(
      `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    emails.push(...body.items.map((item: { email: string }) => item.email));
    cursor = body.nextCursor;
    if (!cursor) return emails;
    await between?.(page);
  }
  throw new Error('walk did not end');
}

beforeAll(async () => {
  stream = await useScoringTable();
  // 24 people: 6 per grade, each with a distinct history of docs views spread over the last 60 days.
  for (let index = 0; index < 24; index++) {
    const profile = profiles[index % 4]!;
    const docsDaysAgo = Array.from({ length: 1 + (index % 5) }, (_, view) => (index * 7 + view * 11) % 60);
    people.push({
      userId: `rank-${run}-${index}`,
      email: `rank-${run}-${index}@acme.example`,
      traits: profile.traits,
      grade: profile.grade,
      docsDaysAgo,
    });
  }
  for (const person of people) {
    await sendEvents([
      {
        type: 'identify',
        userId: person.userId,
        messageId: `${person.userId}-identify`,
        timestamp: new Date(now - 61 * DAY).toISOString(),
        traits: { email: person.email, ...person.traits },
      },
      ...person.docsDaysAgo.map((daysAgo, view) => ({
        type: 'page',
        userId: person.userId,
        messageId: `${person.userId}-docs-${view}`,
        timestamp: new Date(now - daysAgo * DAY).toISOString(),
        properties: { path: '/docs/start' },
      })),
    ]);
  }
  await drainIntoScores(stream);
});

const mine = (emails: string[]) => emails.filter((email) => email.startsWith(`rank-${run}-`));

describe('GET /v1/prospects?icp=', () => {
  it('ranks grade first, then engagement decayed to now, as computed independently', async () => {
    const emails = await walk('icp=saas-midmarket', 5);
    expect(mine(emails)).toEqual(expectedOrder(people, Date.now()));
    expect(new Set(emails).size).toBe(emails.length);
  });

  it('keeps the same order a week later with no new touchpoints (forward decay)', async () => {
    const later = new Date(Date.now() + 7 * DAY);
    const event = apiGatewayEvent({
      method: 'GET',
      url: '/v1/prospects?icp=saas-midmarket&limit=200',
      headers: {
        authorization: `Bearer ${signLocalToken(['prospects:read'], { now: later.getTime() - 60_000 })}`,
      },
    });
    const response = await handleListProspects(event, later);
    const body = JSON.parse(response.body as string);
    expect(mine(body.items.map((item: { email: string }) => item.email))).toEqual(
      expectedOrder(people, later.getTime()),
    );
    const first = body.items.find((item: { email: string }) => item.email === people[0]!.email);
    expect(first.engagement).toBeCloseTo(expectedEngagement(people[0]!, later.getTime()), 1);
  });

  it('shows each item with its fields and top reasons', async () => {
    const body = (await listRanked('icp=saas-midmarket&grade=A&limit=1')).json();
    expect(body.items[0]).toEqual({
      prospectId: expect.stringMatching(/^[a-f0-9]{24}$/),
      email: expect.any(String),
      name: null,
      company: null,
      title: 'CTO',
      grade: 'A',
      fit: 85,
      engagement: expect.any(Number),
      qualified: false,
      lastTouchpointAt: expect.any(String),
      segments: [],
      topReasons: expect.arrayContaining(['Company of 50 to 1,000 employees: +30']),
    });
  });

  it.each([
    ['grade=A,C', (person: Person) => person.grade === 'A' || person.grade === 'C'],
    ['grade=B', (person: Person) => person.grade === 'B'],
    ['minEngagement=3', (person: Person) => expectedEngagement(person, Date.now()) >= 3],
    ['segment=smb', (person: Person) => Number(person.traits.employees) < 50],
    ['qualified=false', () => true],
    [
      `since=${encodeURIComponent(new Date(now - 10 * DAY).toISOString())}`,
      (person: Person) => person.docsDaysAgo.some((days) => days <= 10),
    ],
  ])('filters by %s', async (filter, keep) => {
    const emails = await walk(`icp=saas-midmarket&${filter}`, 4);
    expect(mine(emails)).toEqual(expectedOrder(people.filter(keep), Date.now()));
  });

  it('returns each prospect exactly once while scores change between pages', async () => {
    const snapshot = expectedOrder(people, Date.now());
    let changed = 0;
    const emails = await walk('icp=saas-midmarket&grade=A,B', 3, async (page) => {
      if (page > 2) return;
      // Move people up and down across the pages already read, and add a newcomer.
      const movers = people
        .filter((person) => person.grade === 'A' || person.grade === 'B')
        .slice(page * 3, page * 3 + 3);
      await sendEvents(
        movers.flatMap((person) =>
          Array.from({ length: 4 }, (_, view) => ({
            type: 'page',
            userId: person.userId,
            messageId: `${person.userId}-move-${page}-${view}`,
            properties: { path: view % 2 ? '/careers' : '/pricing' },
          })),
        ),
      );
      await sendEvents([
        {
          type: 'identify',
          userId: `${run}-new-${page}`,
          traits: {
            email: `rank-${run}-new-${page}@acme.example`,
            employees: 300,
            industry: 'Software',
            title: 'CEO',
          },
        },
      ]);
      await drainIntoScores(stream);
      changed += movers.length;
    });
    expect(changed).toBeGreaterThan(0);
    const walked = mine(emails);
    expect(new Set(walked).size).toBe(walked.length);
    // The walk reads the ranking as it was at its first page: the snapshot's order, newcomers excluded.
    expect(walked).toEqual(
      snapshot.filter((email) => people.find((person) => person.email === email)!.grade <= 'B'),
    );
    // A new walk sees the changes.
    const fresh = mine(await walk('icp=saas-midmarket&grade=A,B', 50));
    expect(fresh).not.toEqual(walked);
  });

  it('exports the same ranking as CSV, safe against formula injection', async () => {
    await sendEvents([
      {
        type: 'identify',
        userId: `${run}-formula`,
        traits: {
          email: `rank-${run}-formula@acme.example`,
          company: '=HYPERLINK("http://evil.example")',
          employees: 250,
        },
      },
    ]);
    await drainIntoScores(stream);
    const response = await listRanked('icp=saas-midmarket&format=csv');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = response.body.trim().split('\r\n');
    expect(rows[0]).toBe(
      'rank,prospectId,email,name,company,title,grade,fit,engagement,qualified,lastTouchpointAt,segments,topReasons',
    );
    const json = await walk('icp=saas-midmarket', 200);
    expect(rows.slice(1).map((row) => row.split(',')[2])).toEqual(json);
    const formulaRow = rows.find((row) => row.includes(`rank-${run}-formula@`))!;
    expect(formulaRow).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    const viaAccept = await listRanked('icp=saas-midmarket', { accept: 'text/csv' });
    expect(viaAccept.body).toBe(response.body);
  });

  it('refuses a forged cursor, or a cursor used with other filters, with a 400 on cursor', async () => {
    const first = (await listRanked('icp=saas-midmarket&limit=2')).json();
    const [body, signature] = first.nextCursor.split('.');
    const position = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...position, positions: { 0: 'P#x' } })).toString('base64url')}.${signature}`;
    for (const query of [
      `icp=saas-midmarket&limit=2&cursor=${forged}`,
      `icp=saas-midmarket&grade=A&limit=2&cursor=${first.nextCursor}`,
    ]) {
      const response = await listRanked(query);
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].field).toBe('cursor');
    }
  });

  it.each([
    ['a limit over 200', 'icp=saas-midmarket&limit=201', 400, 'limit'],
    ['a bad grade', 'icp=saas-midmarket&grade=E', 400, 'grade'],
    ['a bad time', 'icp=saas-midmarket&since=yesterday', 400, 'since'],
    ['a negative minimum', 'icp=saas-midmarket&minEngagement=-1', 400, 'minEngagement'],
    ['no icp', 'limit=5', 400, 'icp'],
    ['an unknown icp', 'icp=nope', 404, undefined],
  ])('answers %s with a 4xx naming the field', async (_name, query, status, field) => {
    const response = await listRanked(query);
    expect(response.statusCode).toBe(status);
    if (field) expect(response.json().errors[0].field).toBe(field);
  });

  it('answers 401 without a token and 403 without the scope', async () => {
    const request = (token?: string) =>
      invoke(listProspects, {
        method: 'GET',
        url: '/v1/prospects?icp=saas-midmarket',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    expect((await request()).statusCode).toBe(401);
    expect((await request(signLocalToken(['prospects:write']))).statusCode).toBe(403);
    expect((await request(readToken)).statusCode).toBe(200);
  });
});
