/**
 * Scoring: what applying one touchpoint costs as a prospect's history grows (flat is the target), and how many
 * touchpoints a second the stream consumer (scoreTouchpoints) gets through. Everything runs in-process, as a warm
 * Lambda runs it, against DynamoDB Local.
 */

import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { handler as captureEvents } from '../functions/capture-events.js';
import { touchpointExpiry } from '../lib/capture/retention.js';
import { scoreStreamBatch } from '../lib/edge/events/score-stream.js';
import type { Touchpoint } from '../lib/model/touchpoint.js';
import { applyTouchpointToScores } from '../lib/pipeline/apply-scores.js';
import { scoreWrite } from '../lib/pipeline/score-write.js';
import { pendingTransition, scoreHistory } from '../lib/scoring/score-record.js';
import { loadIcpVersion, loadSegments } from '../lib/scoring/scoring-config.js';
import { getAlias } from '../lib/store/aliases.js';
import { documents, dynamo, tableName } from '../lib/store/client.js';
import { keys } from '../lib/store/keys.js';
import { commitScores, readProspectScores } from '../lib/store/scores.js';
import { activeVersions, updateScoringState } from '../lib/store/scoring-state.js';
import { touchpointFromItem, touchpointItem } from '../lib/store/touchpoints.js';
import { apiGatewayEvent, lambdaContext } from '../scripts/local/api-gateway.js';
import { matchesAnyPattern } from '../scripts/local/event-filter.js';
import { streamSubscriptions } from '../scripts/local/service-definition.js';
import {
  type Benchmark,
  type BenchTable,
  batchWriteAll,
  itemSize,
  median,
  type ObservedRequest,
  percentile,
  type RequestWatch,
  readUnits,
  round,
  streamFromNow,
  watchRequests,
  writeUnits,
} from './lib.js';

const HISTORIES = [10, 1_000, 100_000];
/** Touchpoints applied per history length: to reach the steady state (20 stale rank entries kept), to count units, to time. */
const WARM_UP = 25;
const COST_SAMPLES = 50;
const SAMPLES = Number(process.env.BENCH_SCORING_SAMPLES ?? 200);
const SEED_CONCURRENCY = 16;
const STREAM_PROSPECTS = 200;
const STREAM_TOUCHPOINTS_EACH = 10;
const STREAM_BATCH = 100;
const ICP_ID = 'saas-midmarket';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** New touchpoints (the measured ones) are /docs views 6 h apart: never over the rule's cap of 5 a day, so each one
 * changes the engagement sum and moves the prospect's ranking entry, the costlier case. */
const SAMPLE_SPACING = 6 * HOUR;
const HISTORY_DAYS = 360;

const run = randomUUID().slice(0, 8);
const writeKey = `Basic ${Buffer.from('demo-write-key:').toString('base64')}`;

type Handler = (event: never, context: Context) => Promise<unknown>;

async function sendBatch(batch: Record<string, unknown>[]): Promise<void> {
  const event = apiGatewayEvent({
    method: 'POST',
    url: '/v1/batch',
    routeKey: 'POST /v1/batch',
    headers: { 'content-type': 'application/json', authorization: writeKey },
    body: JSON.stringify({ batch }),
  });
  const result = (await (captureEvents as Handler)(event as never, lambdaContext('bench'))) as {
    statusCode: number;
    body?: string;
  };
  if (result.statusCode !== 200)
    throw new Error(`captureEvents answered ${result.statusCode} ${result.body}`);
}

function identifyEvent(userId: string, at: Date) {
  return {
    type: 'identify',
    userId,
    messageId: `${userId}-identify`,
    timestamp: at.toISOString(),
    traits: {
      email: `${userId}@acme.example`,
      firstName: 'Cora',
      lastName: 'Kim',
      title: 'CTO',
      company: 'Acme',
      employees: 250,
      industry: 'Software',
      country: 'DE',
    },
  };
}

function pageEvent(userId: string, messageId: string, path: string, at: Date) {
  return {
    type: 'page',
    userId,
    messageId,
    timestamp: at.toISOString(),
    name: path.split('/')[1] || 'home',
    properties: {
      path,
      url: `https://example.com${path}`,
      title: 'Example',
      referrer: 'https://www.google.com/',
    },
    context: {
      page: {
        path,
        url: `https://example.com${path}`,
        title: 'Example',
        referrer: 'https://www.google.com/',
      },
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131 Safari/537.36',
      library: { name: 'analytics.js', version: 'next-1.76.0' },
      campaign: { source: 'newsletter', medium: 'email', name: 'autumn' },
    },
  };
}

/** A known prospect created the way a site creates one: an identify call through captureEvents. */
async function newProspect(userId: string, at = new Date()): Promise<string> {
  await sendBatch([identifyEvent(userId, at)]);
  const prospectId = await getAlias({ kind: 'user', value: userId });
  if (!prospectId) throw new Error(`no prospect for ${userId}`);
  return prospectId;
}

async function touchpointItems(prospectId: string, limit?: number): Promise<Record<string, unknown>[]> {
  const result = await documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.prospectPartition(prospectId),
        ':prefix': keys.touchpointPrefix,
      },
      ConsistentRead: true,
      ...(limit ? { Limit: limit } : {}),
    }),
  );
  return result.Items ?? [];
}

/** Touchpoint items in a prospect's partition, counted with Query (Select COUNT), key range slices in parallel. */
async function countTouchpoints(prospectId: string, from: number, to: number): Promise<number> {
  const slices = 8;
  const bounds = [
    keys.touchpointPrefix,
    ...Array.from(
      { length: slices - 1 },
      (_, index) =>
        `${keys.touchpointPrefix}${new Date(from + ((index + 1) * (to - from)) / slices).toISOString()}`,
    ),
    `${keys.touchpointPrefix}~`,
  ];
  const counts = await Promise.all(
    bounds.slice(1).map(async (upper, index) => {
      let count = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await documents.send(
          new QueryCommand({
            TableName: tableName,
            // Sort keys are T#<time>#<eventId>: none equals a bound, so adjacent slices never share an item.
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': keys.prospectPartition(prospectId),
              ':from': bounds[index],
              ':to': upper,
            },
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        count += result.Count ?? 0;
        startKey = result.LastEvaluatedKey;
      } while (startKey);
      return count;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/** A page view shaped exactly as captureEvents stored `template`, at another time, path and id. */
function pageView(template: Touchpoint, at: number, path: string, eventId: string): Touchpoint {
  const iso = new Date(at).toISOString();
  const url = `https://example.com${path}`;
  return {
    ...template,
    eventId,
    occurredAt: iso,
    receivedAt: iso,
    properties: { ...template.properties, path, url },
    page: { ...template.page, path, url },
  };
}

const HISTORY_PATHS = [
  '/docs/getting-started',
  '/docs/api',
  '/docs/sdk',
  '/docs/limits',
  '/docs/faq',
  '/pricing',
  '/pricing/enterprise',
  '/careers',
  '/blog/forward-decay',
  '/',
];

const eventIdOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

type Subject = {
  history: number;
  prospectId: string;
  items: number;
  seedSeconds: number;
  foldSeconds: number;
  countSeconds: number;
};

/**
 * A prospect whose partition really holds `history` touchpoints, all scored, and whose score reflects them: the
 * identify that created it, applied by the real code, and `history - 1` page views written with BatchWriteItem,
 * folded into the score by the pure scoring (as a rescore does) and committed once with commitScores.
 */
async function seedSubject(
  history: number,
  template: Touchpoint,
  historyEnd: number,
  progress: (message: string) => void,
): Promise<Subject> {
  const prospectId = await newProspect(`bench-scoring-${run}-history-${history}`);
  const [identifyItem] = await touchpointItems(prospectId, 1);
  const identify = touchpointFromItem(identifyItem!);
  if (
    (await applyTouchpointToScores(prospectId, identify, {
      PK: String(identifyItem!.PK),
      SK: String(identifyItem!.SK),
    })) !== 'applied'
  )
    throw new Error('the identify was not applied');

  const seededAt = new Date();
  const span = HISTORY_DAYS * DAY;
  const views = Array.from({ length: history - 1 }, (_, index) =>
    pageView(
      template,
      historyEnd - span + Math.floor((index * span) / Math.max(1, history - 1)),
      HISTORY_PATHS[index % HISTORY_PATHS.length]!,
      eventIdOf(`${prospectId}|history|${index}`),
    ),
  );
  const seedSeconds = await batchWriteAll(
    documents,
    tableName,
    views.map((view) =>
      touchpointItem(prospectId, view, touchpointExpiry(view), { scoredAt: seededAt.toISOString() }),
    ),
    {
      concurrency: SEED_CONCURRENCY,
      progress: (done) => progress(`history ${history}: ${done} touchpoints written`),
    },
  );

  const foldStarted = performance.now();
  const { profile, scores } = await readProspectScores(prospectId);
  const version = scores[0]!.version;
  const previous = scores.find((score) => score.icpId === ICP_ID && score.version === version)!;
  const record = scoreHistory(
    {
      icp: await loadIcpVersion(ICP_ID, version),
      version,
      prospectId,
      known: Boolean(profile!.known),
      traits: profile!,
      segmentDefinitions: await loadSegments(),
      now: seededAt,
    },
    [identify, ...views].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)),
    previous,
  );
  // What the scorer would have announced on the way, as the scorer announces it: a touchpoint, already scored.
  const transition = pendingTransition(record);
  const announcements: (Touchpoint & { expiresAt: number })[] = [];
  if (transition) {
    const at = seededAt.toISOString();
    const told: Touchpoint = {
      eventId: eventIdOf(`${prospectId}|${transition}|seed`),
      type: transition,
      source: `icp:${ICP_ID}`,
      name: ICP_ID,
      occurredAt: at,
      receivedAt: at,
      properties: { icpId: ICP_ID, version },
    };
    announcements.push({ ...told, expiresAt: touchpointExpiry(told) });
    record.announced = record.qualified;
  }
  const outcome = await commitScores({
    prospectId,
    writes: [scoreWrite(previous, record, profile!, seededAt)],
    removals: [],
    announcements,
    counters: [],
    expectations: [],
    now: seededAt,
  });
  if (outcome !== 'committed') throw new Error(`seeding the score of ${history}: ${outcome}`);
  const foldSeconds = (performance.now() - foldStarted) / 1000;
  const counted = performance.now();
  const items = await countTouchpoints(prospectId, historyEnd - span, historyEnd);
  return {
    history,
    prospectId,
    items,
    seedSeconds,
    foldSeconds,
    countSeconds: (performance.now() - counted) / 1000,
  };
}

// ---- what one application costs, item by item ----

type ItemCost = { kind: string; bytes: number; wcu: number };
type Cost = {
  rcu: number;
  rcuReported: number;
  wcu: number;
  wcuReported: number;
  gsiWcu: number;
  items: ItemCost[];
  requests: number;
  otherReads: number;
  /** Bytes of the score item written: its stale ranking keys, its engagement state (ledger), everything else. */
  scoreItem?: { staleRanks: number; state: number; rest: number; staleCount: number };
};

const keyOf = (key: Record<string, unknown>) => `${key.PK}\u0000${key.SK}`;

type TransactItem = {
  Put?: { Item: Record<string, unknown> };
  Update?: { Key: Record<string, unknown> };
  Delete?: { Key: Record<string, unknown> };
  ConditionCheck?: { Key: Record<string, unknown> };
};

function targetKey(item: TransactItem): Record<string, unknown> {
  if (item.Put) return { PK: item.Put.Item.PK, SK: item.Put.Item.SK };
  return (item.Update ?? item.Delete ?? item.ConditionCheck)!.Key;
}

function kindOf(item: TransactItem): string {
  const key = targetKey(item);
  const sk = String(key.SK);
  const rank = String(key.PK).startsWith('RANK#');
  if (item.ConditionCheck) return 'profile: condition check (not merged or erased)';
  if (item.Update && sk.startsWith(keys.touchpointPrefix)) return 'touchpoint: scored mark (Update)';
  if (item.Put && sk.startsWith(keys.scorePrefix)) return 'score item (Put, conditional on its revision)';
  if (item.Put && rank) return 'new ranking entry (Put)';
  if (item.Update && rank) return 'old ranking entry closed: validTo, TTL (Update)';
  if (item.Delete && rank) return 'closed ranking entry deleted: expired, or over the 20 kept (Delete)';
  if (item.Put && sk.startsWith(keys.touchpointPrefix)) return 'qualified announcement touchpoint (Put)';
  return `${Object.keys(item)[0]} ${String(key.PK).split('#')[0]}`;
}

/** Write units of the KEYS_ONLY due index (GSI1) when a score item is rewritten: a key added, removed or moved. */
function gsiWrites(before: Record<string, unknown> | undefined, after: Record<string, unknown>): number {
  const was = before?.GSI1PK ? `${before.GSI1PK}|${before.GSI1SK}` : undefined;
  const now = after.GSI1PK ? `${after.GSI1PK}|${after.GSI1SK}` : undefined;
  if (was === now) return 0;
  return (was ? 1 : 0) + (now ? 1 : 0);
}

async function costOf(
  requests: ObservedRequest[],
  before: Map<string, Record<string, unknown> | undefined>,
  reader: DynamoDBDocumentClient,
): Promise<Cost> {
  const cost: Cost = {
    rcu: 0,
    rcuReported: 0,
    wcu: 0,
    wcuReported: 0,
    gsiWcu: 0,
    items: [],
    requests: requests.length,
    otherReads: 0,
  };
  for (const request of requests) {
    if (request.command === 'QueryCommand') {
      const items = (request.output.Items as Record<string, unknown>[]) ?? [];
      const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
      cost.rcu += readUnits(bytes, request.input.ConsistentRead === true);
      cost.rcuReported += request.consumed;
    } else if (request.command === 'TransactWriteItemsCommand') {
      cost.wcuReported += request.consumed;
      for (const item of request.input.TransactItems as TransactItem[]) {
        const key = targetKey(item);
        const old = before.get(keyOf(key));
        const oldBytes = old ? itemSize(old) : 0;
        let bytes = oldBytes;
        if (item.Put) {
          bytes = Math.max(oldBytes, itemSize(item.Put.Item));
          if (String(key.SK).startsWith(keys.scorePrefix)) {
            cost.gsiWcu += gsiWrites(old, item.Put.Item);
            const { staleRanks, state, ...rest } = item.Put.Item;
            cost.scoreItem = {
              staleRanks: itemSize({ staleRanks }),
              state: itemSize({ state }),
              rest: itemSize(rest),
              staleCount: (staleRanks as unknown[]).length,
            };
          }
        } else if (item.Update) {
          const { Item } = await reader.send(
            new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
          );
          bytes = Math.max(oldBytes, Item ? itemSize(Item) : 0);
        }
        const wcu = 2 * writeUnits(bytes);
        cost.items.push({ kind: kindOf(item), bytes, wcu });
        cost.wcu += wcu;
      }
    } else cost.otherReads++;
  }
  cost.wcu += cost.gsiWcu;
  return cost;
}

// ---- the stream consumer ----

async function streamThroughput(endpoint: string, progress: (message: string) => void) {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const stream = await streamFromNow(Table!.LatestStreamArn!, endpoint);
  const filter = streamSubscriptions().find((item) => item.functionName === 'scoreTouchpoints')!;
  // What Lambda would hand scoreTouchpoints: the records its filter patterns let through, in stream order.
  const delivered = async () =>
    (await stream.next()).filter((record) => matchesAnyPattern(filter.filterPatterns, record));
  const deliverTimed = async (records: DynamoDBRecord[]) => {
    const times: number[] = [];
    let failures = 0;
    for (let start = 0; start < records.length; start += STREAM_BATCH) {
      const batch = records.slice(start, start + STREAM_BATCH);
      const started = performance.now();
      const result = await scoreStreamBatch({ Records: batch });
      times.push(performance.now() - started);
      failures += result.batchItemFailures.length;
    }
    return { times, failures };
  };

  const base = Date.now() - HOUR;
  const users = Array.from({ length: STREAM_PROSPECTS }, (_, index) => `bench-stream-${run}-${index}`);
  for (let start = 0; start < users.length; start += 100)
    await sendBatch(users.slice(start, start + 100).map((userId) => identifyEvent(userId, new Date(base))));
  // The identifies (new scores) first, untimed: the measured touchpoints update existing scores.
  const warm = await deliverTimed(await delivered());
  if (warm.failures) throw new Error('scoring the identifies failed');

  const paths = ['/docs/start', '/pricing', '/docs/api', '/blog/a', '/docs/sdk', '/features', '/careers'];
  const event = (userId: string, round: number, tag: string) =>
    round % 5 === 4
      ? {
          type: 'track',
          userId,
          messageId: `${userId}-${tag}-${round}`,
          timestamp: new Date(base + round * 60_000 + 1000).toISOString(),
          event: round === 9 ? 'Trial Started' : 'Feature Used',
          properties: { feature: 'export', plan: 'team' },
        }
      : pageEvent(
          userId,
          `${userId}-${tag}-${round}`,
          paths[round % paths.length]!,
          new Date(base + round * 60_000 + 1000),
        );
  const scenarios = [
    {
      name: `interleaved: prospects take turns (a batch of ${STREAM_BATCH} spans ${STREAM_BATCH} prospects)`,
      tag: 'interleaved',
      order: Array.from({ length: STREAM_TOUCHPOINTS_EACH }, (_, round) =>
        users.map((userId) => [userId, round] as const),
      ).flat(),
    },
    {
      name: `bursts: ${STREAM_TOUCHPOINTS_EACH} in a row per prospect (a batch spans ${STREAM_BATCH / STREAM_TOUCHPOINTS_EACH} prospects)`,
      tag: 'burst',
      order: users.flatMap((userId) =>
        Array.from({ length: STREAM_TOUCHPOINTS_EACH }, (_, round) => [userId, round] as const),
      ),
    },
  ];
  const rows: Record<string, string | number>[] = [];
  for (const scenario of scenarios) {
    const events = scenario.order.map(([userId, round]) => event(userId, round, scenario.tag));
    for (let start = 0; start < events.length; start += 100)
      await sendBatch(events.slice(start, start + 100));
    const records = await delivered();
    const touchpoints = records.length;
    const { times, failures } = await deliverTimed(records);
    const seconds = times.reduce((sum, time) => sum + time, 0) / 1000;
    progress(`stream, ${scenario.tag}: ${touchpoints} touchpoints in ${round(seconds)} s`);
    rows.push({
      delivery: scenario.name,
      touchpoints,
      [`batches of ${STREAM_BATCH}`]: times.length,
      'scoring s': round(seconds),
      'touchpoints/s': Math.round(touchpoints / seconds),
      'median batch ms': round(median(times)),
      'p99 batch ms': round(percentile(times, 99)),
      'failed records': failures,
    });
  }
  stream.close();
  return rows;
}

type Activity = 'session' | 'sparse';
const ACTIVITY_LABEL: Record<Activity, string> = {
  session: 'session: touchpoints minutes apart',
  sparse: 'sparse: touchpoints hours apart',
};
/** The sparse phase: fewer samples, the scorer's clock moved 6 h on per touchpoint. */
const SPARSE_WARM_UP = 5;
const SPARSE_SAMPLES = 100;

export const benchmark: Benchmark = {
  id: 'scoring',
  title: 'Scoring: cost of one touchpoint by history length, stream throughput',
  run: async ({ progress: report, dynamodbEndpoint }) => {
    const started = performance.now();
    const progress = (message: string) =>
      report(`${message} (at ${round((performance.now() - started) / 1000, 1)} s)`);

    // Serve the example ICP (config/example published it for a rescore that the bench does not need to run).
    const state = await updateScoringState((current) => {
      const versions = current.icps[ICP_ID];
      if (!versions) throw new Error(`no ICP ${ICP_ID} in the scoring state`);
      if (versions.building === null) return undefined;
      current.icps[ICP_ID] = {
        serving: versions.building,
        building: null,
        completedAt: new Date().toISOString(),
      };
      return current;
    });
    const active = activeVersions(state);

    // The shape of a page view as captureEvents stores it, from a real capture.
    const templateProspect = await newProspect(`bench-scoring-${run}-template`);
    await sendBatch([
      pageEvent(`bench-scoring-${run}-template`, `${run}-template-page`, '/docs/start', new Date()),
    ]);
    const templateItem = (await touchpointItems(templateProspect)).find((item) => item.type === 'page')!;
    const { prospectId: _prospectId, ...template } = touchpointFromItem(templateItem);

    const perSubject = WARM_UP + SAMPLES + COST_SAMPLES;
    const firstSampleAt = Date.now() - perSubject * SAMPLE_SPACING;
    const historyEnd = firstSampleAt - 2 * DAY;
    const subjects: Subject[] = [];
    for (const history of HISTORIES) {
      const subject = await seedSubject(history, template, historyEnd, progress);
      subjects.push(subject);
      progress(
        `history ${history}: ${subject.items} touchpoint items, written in ${round(subject.seedSeconds, 1)} s, folded and committed in ${round(subject.foldSeconds, 1)} s, counted in ${round(subject.countSeconds, 1)} s`,
      );
    }

    // Before-images for the unit counts come from a client of their own, outside the watched one.
    const reader = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: process.env.AWS_REGION ?? 'us-east-1',
        endpoint: dynamodbEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const watch = watchRequests(dynamo, 'benchScoringWatch');
    const before = new Map<string, Record<string, unknown> | undefined>();
    const readBeforeImages: RequestWatch['before'] = async ({ command, input }) => {
      if (command !== 'TransactWriteItemsCommand') return;
      for (const item of input.TransactItems as TransactItem[]) {
        const key = targetKey(item);
        const { Item } = await reader.send(
          new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
        );
        before.set(keyOf(key), Item);
      }
    };

    const sampleIndex = new Map<string, number>();
    let sparseOffset = 0;
    /** One new /docs view, written unscored, then applied and timed; in the sparse phase the scorer's clock is
     * moved 6 h on first, so that the ranking entries it closed before have outlived every walk. */
    const applyOne = async (subject: Subject, activity: Activity) => {
      const index = sampleIndex.get(subject.prospectId) ?? 0;
      sampleIndex.set(subject.prospectId, index + 1);
      const offset = activity === 'sparse' ? sparseOffset : 0;
      // A session's touchpoints are 6 h apart in event time (under the daily cap, each one counts) and end now;
      // a sparse one happens when the scorer's clock says.
      const touchpoint = pageView(
        template,
        activity === 'session' ? firstSampleAt + index * SAMPLE_SPACING : Date.now() + offset,
        '/docs/getting-started',
        eventIdOf(`${subject.prospectId}|sample|${index}`),
      );
      const item = touchpointItem(subject.prospectId, touchpoint, touchpointExpiry(touchpoint));
      await documents.send(new PutCommand({ TableName: tableName, Item: item }));
      const clock = () => new Date(Date.now() + offset);
      before.clear();
      const { result, requests } = await watch.record(async () => {
        const began = performance.now();
        const outcome = await applyTouchpointToScores(
          subject.prospectId,
          touchpoint,
          { PK: item.PK, SK: item.SK },
          clock,
        );
        return { outcome, ms: performance.now() - began };
      });
      if (result.outcome !== 'applied')
        throw new Error(`${subject.history}, sample ${index}: ${result.outcome}`);
      return { ms: result.ms, requests };
    };

    type Figures = { times: number[]; requests: number[]; costs: Cost[] };
    const figures = new Map<string, Figures>();
    const figuresOf = (subject: Subject, activity: Activity) => {
      const key = `${activity}|${subject.history}`;
      if (!figures.has(key)) figures.set(key, { times: [], requests: [], costs: [] });
      return figures.get(key)!;
    };
    // Every step takes the three histories in turn, so that drift in DynamoDB Local touches them alike.
    const each = async (rounds: number, step: (subject: Subject) => Promise<void>, before?: () => void) => {
      for (let index = 0; index < rounds; index++) {
        before?.();
        for (const subject of subjects) await step(subject);
      }
    };
    const timed = (activity: Activity) => async (subject: Subject) => {
      const { ms, requests } = await applyOne(subject, activity);
      figuresOf(subject, activity).times.push(ms);
      figuresOf(subject, activity).requests.push(requests.length);
    };
    const counted = (activity: Activity) => async (subject: Subject) => {
      watch.consumedCapacity = true;
      watch.before = readBeforeImages;
      try {
        const { requests } = await applyOne(subject, activity);
        figuresOf(subject, activity).costs.push(await costOf(requests, before, reader));
      } finally {
        watch.consumedCapacity = false;
        watch.before = undefined;
      }
    };
    const nextSparse = () => {
      sparseOffset += SAMPLE_SPACING;
    };

    // Session: touchpoints in quick succession, each moving the ranking entry; after WARM_UP every score keeps
    // the 20 closed entries it may keep for walks in progress, and each new touchpoint deletes the oldest.
    await each(WARM_UP, async (subject) => void (await applyOne(subject, 'session')));
    await each(SAMPLES, timed('session'));
    progress(`session: ${SAMPLES} timed touchpoints per history`);
    await each(COST_SAMPLES, counted('session'));
    // Sparse: 6 h apart by the scorer's clock, so the entry closed by the previous touchpoint has expired.
    await each(SPARSE_WARM_UP, async (subject) => void (await applyOne(subject, 'sparse')), nextSparse);
    await each(SPARSE_SAMPLES, timed('sparse'), nextSparse);
    await each(COST_SAMPLES, counted('sparse'), nextSparse);
    progress(`sparse: ${SPARSE_SAMPLES} timed touchpoints per history`);
    watch.remove();

    const summaries = (['session', 'sparse'] as const).map((activity) => ({
      activity,
      entries: subjects.map((subject) => {
        const { times, requests, costs } = figuresOf(subject, activity);
        return {
          subject,
          median: median(times),
          p99: percentile(times, 99),
          rcu: median(costs.map((cost) => cost.rcu)),
          rcuReported: median(costs.map((cost) => cost.rcuReported)),
          wcu: median(costs.map((cost) => cost.wcu)),
          wcuReported: median(costs.map((cost) => cost.wcuReported)),
          items: median(costs.map((cost) => cost.items.length)),
          requests: median(requests),
          samples: times.length,
        };
      }),
    }));
    type Entry = (typeof summaries)[number]['entries'][number];
    const row = (activity: Activity, entry: Entry): Record<string, string | number> => ({
      'earlier touchpoints': entry.subject.history.toLocaleString('en-US'),
      activity: ACTIVITY_LABEL[activity],
      'median ms': round(entry.median),
      'p99 ms': round(entry.p99),
      'RCU (the Query)': entry.rcu,
      'RCU, Local reports': entry.rcuReported,
      'WCU, DynamoDB rules': entry.wcu,
      'WCU, Local reports': entry.wcuReported,
      'items in the transaction': entry.items,
      'requests per touchpoint': entry.requests,
    });
    const ratio = (activity: Activity, small: Entry, large: Entry): Record<string, string | number> => ({
      'earlier touchpoints': `ratio ${large.subject.history.toLocaleString('en-US')} ÷ ${small.subject.history}`,
      activity: ACTIVITY_LABEL[activity],
      'median ms': round(large.median / small.median),
      'p99 ms': round(large.p99 / small.p99),
      'RCU (the Query)': round(large.rcu / small.rcu),
      'RCU, Local reports': round(large.rcuReported / small.rcuReported),
      'WCU, DynamoDB rules': round(large.wcu / small.wcu),
      'WCU, Local reports': round(large.wcuReported / small.wcuReported),
      'items in the transaction': round(large.items / small.items),
      'requests per touchpoint': round(large.requests / small.requests),
    });
    const rows = summaries.flatMap(({ activity, entries }) => [
      ...entries.map((entry) => row(activity, entry)),
      ratio(activity, entries[0]!, entries.at(-1)!),
    ]);
    const seedingRows = subjects.map((subject) => ({
      'earlier touchpoints': subject.history.toLocaleString('en-US'),
      'touchpoint items in the partition (counted)': subject.items.toLocaleString('en-US'),
      'BatchWriteItem s': round(subject.seedSeconds, 2),
      'items/s': Math.round((subject.history - 1) / Math.max(subject.seedSeconds, 1e-3)),
      'fold + commitScores s': round(subject.foldSeconds, 2),
      'count s': round(subject.countSeconds, 1),
    }));

    // Item by item: every history, both activities.
    const columns = summaries.flatMap(({ activity, entries }) =>
      entries.map((entry) => ({
        activity,
        entry,
        costs: figuresOf(entry.subject, activity).costs,
        label: `${activity === 'session' ? 'session' : 'sparse'}, ${entry.subject.history.toLocaleString('en-US')}`,
      })),
    );
    const kinds = [
      ...new Set(
        columns.flatMap(({ costs }) => costs.flatMap((cost) => cost.items.map((item) => item.kind))),
      ),
    ];
    const breakdown: Record<string, string | number>[] = kinds.map((kind) => {
      const cells: Record<string, string | number> = { 'transaction item': kind };
      for (const { costs, label } of columns) {
        const found = costs.flatMap((cost) => cost.items.filter((item) => item.kind === kind));
        cells[label] = found.length
          ? `${median(found.map((item) => item.wcu))} (${median(found.map((item) => item.bytes))} B)${found.length < costs.length ? `, ${Math.round((found.length / costs.length) * 100)}%` : ''}`
          : '–';
      }
      return cells;
    });
    breakdown.push({
      'transaction item': 'due index GSI1 (KEYS_ONLY): the re-check key moved, delete + put (not doubled)',
      ...Object.fromEntries(
        columns.map(({ costs, label }) => {
          const moved = costs.filter((cost) => cost.gsiWcu > 0).length;
          return [
            label,
            moved
              ? `${median(costs.map((cost) => cost.gsiWcu))}${moved < costs.length ? `, ${Math.round((moved / costs.length) * 100)}%` : ''}`
              : '–',
          ];
        }),
      ),
    });
    breakdown.push({
      'transaction item': '**total WCU** (median)',
      ...Object.fromEntries(columns.map(({ entry, label }) => [label, `**${entry.wcu}**`])),
    });

    progress('stream throughput');
    const stream = await streamThroughput(dynamodbEndpoint, progress);

    const versions = active.map((entry) => `${entry.icpId}@${entry.version}`).join(', ');
    const session = summaries[0]!.entries;
    const sparse = summaries[1]!.entries;
    return [
      {
        title: `Applying one touchpoint (applyTouchpointToScores), by the prospect's history (${SAMPLES} session and ${SPARSE_SAMPLES} sparse touchpoints timed, ${COST_SAMPLES} of each counted, per history)`,
        rows,
        notes: costNotes(versions, session, sparse),
      },
      {
        title: 'Seeding the histories',
        rows: seedingRows,
        notes: SEEDING_NOTES,
      },
      {
        title: `Write units of one touchpoint, item by item: WCU (bytes billed), median over ${COST_SAMPLES} touchpoints`,
        rows: breakdown,
        notes: breakdownNotes(
          columns.find((column) => column.activity === 'session' && column.entry === session.at(-1))!.costs,
        ),
      },
      {
        title: `Stream consumer (scoreStreamBatch): ${STREAM_PROSPECTS * STREAM_TOUCHPOINTS_EACH} touchpoints over ${STREAM_PROSPECTS} prospects, batches of ${STREAM_BATCH}`,
        rows: stream,
        notes: STREAM_NOTES,
      },
    ] satisfies BenchTable[];
  },
};

type Summary = { subject: Subject; median: number; rcu: number; wcu: number };

function costNotes(versions: string, session: Summary[], sparse: Summary[]): string {
  const small = session[0]!;
  const large = session.at(-1)!;
  const quiet = sparse.at(-1)!;
  return `Per touchpoint, ${large.wcu} WCU and ${large.rcu} RCU in a session, ${quiet.wcu} WCU and ${quiet.rcu} RCU when sparse
(largest history, medians), whatever the history. Scored ICP versions: ${versions} (each served or building version adds a score item, a ranking entry and their
updates to every touchpoint). The measured touchpoints are new /docs views, written unscored and applied one at a
time by the real code, the three histories in turn; each one changes the engagement sum, so each one moves the
prospect's ranking entry (the costlier case; a touchpoint over a daily cap or matching no rule moves nothing).
**session**: touchpoints minutes apart, as in a visit; ${WARM_UP} were applied first, so that every score keeps the
20 closed ranking entries it may keep for walks in progress (30 min) and each new touchpoint deletes the oldest.
**sparse**: the scorer's clock moved 6 h on before each touchpoint (the \`clock\` argument), so the entry the previous
touchpoint closed has expired and is deleted, and the score keeps one.

**Flat, as designed**: the history is never read. \`applyTouchpointToScores\` reads the profile and the score items
with one consistent Query on the key range \`PROFILE\`..\`SCORE#~\` of the partition, which the touchpoint items
(\`T#...\`) sort outside of, and writes one transaction whose items do not depend on the history; median
${round(small.median, 2)} ms with ${small.subject.history} earlier touchpoints, ${round(large.median, 2)} ms with ${large.subject.history.toLocaleString('en-US')}. Units differ between histories only
through the score item's ledger, which is bounded (per engagement rule: counts for the last 8 days it matched) and
which a short history has not filled yet: a WCU ratio a little above 1 is that item crossing a 1 KB line, not growth
(1,000 and 100,000 cost the same). RCU is that Query: strongly consistent, 1 RCU per 4 KB read (eventually
consistent would be half, but could miss the revision the transaction is conditional on); it reads the profile and
the score item, which in a session carries its 20 stale ranking keys (2 RCU instead of 1, see below).
\`WCU, DynamoDB rules\` is computed from the sizes of the items the transaction writes (before- and after-images read
by the bench), because DynamoDB Local's reported figure for transactions does not follow item sizes (see the
capture benchmark). \`requests per touchpoint\`: the Query and the TransactWriteItems; a third request (scoring state,
segments) shows only when the \`CONFIG_CACHE_SECONDS\` cache expires. Latencies are DynamoDB Local's, on a shared
2-core machine: p99 is mostly other processes and garbage collection.`;
}

const SEEDING_NOTES = `Each history prospect was created by an identify through captureEvents (applied by the real
code), then given \`history - 1\` page views shaped exactly as captureEvents stores them (cloned from a captured one),
spread over ${HISTORY_DAYS} days and already marked scored: BatchWriteItem, 25 items a request, ${SEED_CONCURRENCY} requests in
flight, as fast as DynamoDB Local takes them. Those views were folded into the score with the pure scoring
(\`scoreHistory\`, what a rescore does) and committed once with \`commitScores\`. The partition was then counted with
Queries (Select COUNT) over 8 key-range slices in parallel.`;

function breakdownNotes(costs: Cost[]): string {
  const parts = costs.flatMap((cost) => (cost.scoreItem ? [cost.scoreItem] : []));
  const part = (name: keyof NonNullable<Cost['scoreItem']>) => median(parts.map((entry) => entry[name]));
  return `Each cell: WCU of that item (bytes billed; % of touchpoints when not all). Every item of a TransactWriteItems
costs 2 WCU per KB of that item, rounded up per item: DynamoDB prepares and commits each one; outside a transaction
the same items would cost half, but a replayed stream record could then be counted twice, or a score written
without its ranking entry. A Put is billed at the larger of the old and the new item, an Update at the larger of
before and after, a Delete at the item deleted, and the ConditionCheck like a write of the profile item (read and
locked, not written). What each item buys: the **scored mark** on the touchpoint is the exactly-once guard (a
replay finds it and changes nothing); the **profile check** makes a merge or an erasure that started after the
read win; the **score item** is conditional on the revision read (concurrent scorers retry instead of losing an
update); the **new ranking entry** is what a list page reads; the **old ranking entry** is closed (validTo, TTL)
rather than deleted, so that a walk through the pages that began earlier still reads the ranking as it was; a
closed entry is **deleted** once no walk can need it (30 min), or, in a session, as soon as the score keeps 20.
The due index GSI1 (KEYS_ONLY) is written, at normal rates, while a qualified score has a re-check time, which moves
with its engagement. Everything is 2 WCU (one KB or less) but the score item: in a session it is
${part('staleRanks')} B of stale ranking keys (${part('staleCount')} of them), ${part('state')} B of engagement state (sum, ledger,
experience) and ${part('rest')} B of the rest (median, largest history), so the stale keys alone make it cost 6 WCU more
than a sparse prospect's, and push the Query past 4 KB.`;
}

const STREAM_NOTES = `Touchpoints captured through captureEvents (page views and track events, 10 per prospect), read back from
the table's real stream (DynamoDB Local), filtered by the scoreTouchpoints filter patterns of serverless.yml (touchpoint
INSERTs only) and handed to \`scoreStreamBatch\` ${STREAM_BATCH} records at a time, one batch after another, as one
Lambda shard consumer does; \`scoring s\` is the sum of the batch calls. Within a batch the consumer scores up to 8
prospects side by side and each prospect's touchpoints strictly in order. This is DynamoDB Local (Java, SQLite
underneath) and the bench process sharing a 2-core machine, in-process: the figure is a floor for one shard's
consumer, not a DynamoDB figure. On AWS each touchpoint is still one Query and one transaction (two round trips of a
few milliseconds each), and throughput grows with stream shards (one concurrent Lambda per shard, or more with a
parallelization factor).`;
