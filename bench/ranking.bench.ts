/**
 * Ranking: what one page of the ranked list (GET /v1/prospects?icp=) reads and how long it takes as the number of
 * scored prospects grows (flat is the target), what the shard merge costs for 1, 4 and 16 shards, and what filters
 * cost. handleListProspects runs in-process, as a warm Lambda runs it, against DynamoDB Local.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyConfig } from '../lib/configuration/config-kinds.js';
import { signLocalToken } from '../lib/edge/http/auth.js';
import { handleListProspects } from '../lib/edge/prospects/list-endpoint.js';
import { GRADES, type Icp, icpSchema, type SegmentDefinition } from '../lib/model/icp.js';
import type { ProspectProfile } from '../lib/model/prospect.js';
import type { Touchpoint } from '../lib/model/touchpoint.js';
import { mergeShards } from '../lib/ranking/merge.js';
import { rankEntryFor } from '../lib/ranking/rank-entry.js';
import { scoreHistory } from '../lib/scoring/score-record.js';
import { loadSegments } from '../lib/scoring/scoring-config.js';
import { documents, dynamo, tableName } from '../lib/store/client.js';
import { queryRankShard } from '../lib/store/rankings.js';
import { rankItem } from '../lib/store/scores.js';
import { updateScoringState } from '../lib/store/scoring-state.js';
import { config } from '../lib/util/config.js';
import { apiGatewayEvent } from '../scripts/local/api-gateway.js';
import {
  type Benchmark,
  type BenchTable,
  batchWriteAll,
  itemSize,
  median,
  type ObservedRequest,
  percentile,
  readUnits,
  round,
  watchRequests,
} from './lib.js';

const SIZES = [1_000, 10_000, 100_000];
const MERGE_SIZE = 10_000;
const PAGE = 50;
/** The deep page: ranks 501-550, which every size has. */
const DEEP_PAGE = 11;
const SAMPLES = Number(process.env.BENCH_RANKING_SAMPLES ?? 100);
const COST_SAMPLES = 5;
const WARM_UP = 10;
const GLOBAL_WARM_UP = 300;
const MERGE_ITERATIONS = 2000;
const SEED_CONCURRENCY = 16;
const DAY = 86_400_000;

/** The bench's own ICPs, copies of the example ICP that differ in their shard count. */
const ICPS = [
  { id: 'bench-rank', shards: 4 },
  { id: 'bench-rank-s1', shards: 1 },
  { id: 'bench-rank-s16', shards: 16 },
] as const;

const token = signLocalToken(['prospects:read']);

// ---- a population of scored prospects, deterministic ----

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Radia', 'Donald'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Thompson',
  'Hamilton',
  'Perlman',
  'Knuth',
];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell'];
const TITLES = [
  'CTO',
  'VP Engineering',
  'Director of IT',
  'Engineering Manager',
  'Software Engineer',
  'Product Manager',
  'CEO',
  'Data Analyst',
  'Head of Sales',
  'Student',
];
const INDUSTRIES = ['Software', 'SaaS', 'Internet', 'Retail', 'Finance', 'Healthcare', 'Manufacturing'];
const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'NL', 'CA', 'BR', 'IN', 'JP', 'ES'];
const EMPLOYEES = [3, 12, 40, 80, 250, 600, 1500, 8000];
const MAIL = ['', '', '', 'gmail.com'];
const PATHS = ['/docs/start', '/docs/api', '/pricing', '/careers', '/blog/decay', '/'];

type Prospect = { profile: ProspectProfile; touchpoints: Touchpoint[] };

/** Prospect `index`: traits across every grade and both segments, 1 to 8 touchpoints over the last 60 days. */
function prospect(index: number, seededAt: number): Prospect {
  const next = random(index + 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const prospectId = createHash('sha256').update(`bench-rank|${index}`).digest('hex').slice(0, 24);
  const firstName = pick(FIRST);
  const lastName = pick(LAST);
  const company = pick(COMPANIES);
  const domain = pick(MAIL) || `${company.toLowerCase()}.example`;
  const at = new Date(seededAt).toISOString();
  const profile: ProspectProfile = {
    prospectId,
    createdAt: at,
    updatedAt: at,
    known: true,
    email: `${firstName}.${lastName}.${index}@${domain}`.toLowerCase(),
    firstName,
    lastName,
    company: `${company} ${index % 97}`,
    title: pick(TITLES),
    employees: pick(EMPLOYEES),
    industry: pick(INDUSTRIES),
    country: pick(COUNTRIES),
  };
  const touchpoints: Touchpoint[] = Array.from({ length: 1 + Math.floor(next() * 8) }, (_, number) => {
    const occurredAt = new Date(seededAt - Math.floor(next() * 60 * DAY)).toISOString();
    const eventId = createHash('sha256').update(`${prospectId}|${number}`).digest('hex').slice(0, 24);
    const roll = next();
    if (roll < 0.05)
      return {
        eventId,
        type: 'form',
        source: 'form:demo-request',
        name: 'demo-request',
        occurredAt,
        receivedAt: occurredAt,
        properties: {},
      };
    if (roll < 0.1)
      return {
        eventId,
        type: 'track',
        source: 'source:website',
        name: 'Trial Started',
        occurredAt,
        receivedAt: occurredAt,
        properties: {},
      };
    const path = pick(PATHS);
    return {
      eventId,
      type: 'page',
      source: 'source:website',
      occurredAt,
      receivedAt: occurredAt,
      properties: { path },
      page: { path, url: `https://example.com${path}` },
    };
  });
  touchpoints.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  return { profile, touchpoints };
}

/** The ranking entries of prospects [from, to) for one ICP, exactly as commitScores writes them. */
function rankItems(
  icp: Icp,
  version: number,
  segmentDefinitions: SegmentDefinition[],
  from: number,
  to: number,
  seededAt: number,
) {
  const items: Record<string, unknown>[] = [];
  for (let index = from; index < to; index++) {
    const { profile, touchpoints } = prospect(index, seededAt);
    const record = scoreHistory(
      {
        icp,
        version,
        prospectId: profile.prospectId,
        known: true,
        traits: profile,
        segmentDefinitions,
        now: new Date(seededAt),
      },
      touchpoints,
      {},
    );
    items.push(rankItem(rankEntryFor(record, record.rank!, profile)));
  }
  return items;
}

// ---- the list endpoint, watched ----

type PageResult = { items: unknown[]; nextCursor?: string };

async function listPage(query: string): Promise<PageResult> {
  const event = apiGatewayEvent({
    method: 'GET',
    url: `/v1/prospects?${query}`,
    headers: { authorization: `Bearer ${token}` },
  });
  const response = await handleListProspects(event);
  if (response.statusCode !== 200) throw new Error(`list ${query}: ${response.statusCode} ${response.body}`);
  return JSON.parse(response.body as string) as PageResult;
}

type PageCost = {
  queries: number;
  rcu: number;
  rcuRules: number;
  rcuEventual: number;
  bytes: number;
  read: number;
  returned: number;
  others: number;
};

function pageCost(requests: ObservedRequest[]): PageCost {
  const cost: PageCost = {
    queries: 0,
    rcu: 0,
    rcuRules: 0,
    rcuEventual: 0,
    bytes: 0,
    read: 0,
    returned: 0,
    others: 0,
  };
  for (const request of requests) {
    if (request.command !== 'QueryCommand') {
      cost.others++;
      continue;
    }
    const items = (request.output.Items as Record<string, unknown>[]) ?? [];
    const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
    cost.queries++;
    cost.rcu += request.consumed;
    cost.rcuRules += readUnits(bytes, request.input.ConsistentRead === true);
    cost.rcuEventual += readUnits(bytes, false);
    cost.bytes += bytes;
    cost.read += Number(request.output.ScannedCount ?? items.length);
    cost.returned += items.length;
  }
  return cost;
}

type Watch = ReturnType<typeof watchRequests>;

/** The cursor of page `page` (1 = the first page, no cursor) of a walk. */
async function cursorOf(query: string, page: number): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let number = 1; number < page; number++) {
    const result = await listPage(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    cursor = result.nextCursor;
    if (!cursor) throw new Error(`${query}: no page ${page}`);
  }
  return cursor;
}

/** Units of a page (from COST_SAMPLES calls, capacity reported), then its latency (SAMPLES calls, not reported). */
async function measurePage(watch: Watch, query: string) {
  for (let index = 0; index < WARM_UP; index++) await listPage(query);
  watch.consumedCapacity = true;
  const costs: PageCost[] = [];
  let items = 0;
  for (let index = 0; index < COST_SAMPLES; index++) {
    const { result, requests } = await watch.record(() => listPage(query));
    costs.push(pageCost(requests));
    items = result.items.length;
  }
  watch.consumedCapacity = false;
  const times: number[] = [];
  const queries: number[] = [];
  for (let index = 0; index < SAMPLES; index++) {
    const { result, requests } = await watch.record(async () => {
      const started = performance.now();
      await listPage(query);
      return performance.now() - started;
    });
    times.push(result);
    queries.push(requests.filter((request) => request.command === 'QueryCommand').length);
  }
  const of = (name: keyof PageCost) => median(costs.map((cost) => cost[name]));
  return {
    items,
    median: median(times),
    p99: percentile(times, 99),
    rcu: of('rcu'),
    rcuRules: of('rcuRules'),
    rcuEventual: of('rcuEventual'),
    bytes: of('bytes'),
    read: of('read'),
    returned: of('returned'),
    queries: Math.max(...queries),
    minQueries: Math.min(...queries),
    others: of('others'),
  };
}

/** Pages (and read units) a client walks through, from the top, until the filter has shown `want` items. */
async function walkUntil(watch: Watch, query: string, want: number, maxPages = 1000) {
  watch.consumedCapacity = true;
  try {
    let cursor: string | undefined;
    let pages = 0;
    let rcu = 0;
    let items = 0;
    do {
      const { result, requests } = await watch.record(() =>
        listPage(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      pages++;
      rcu += pageCost(requests).rcu;
      items += result.items.length;
      cursor = result.nextCursor;
    } while (cursor && items < want && pages < maxPages);
    return { pages, rcu, items };
  } finally {
    watch.consumedCapacity = false;
  }
}

/** CPU time of mergeShards alone, on the shard reads of a first page. */
async function mergeCpu(icpId: string, shards: number): Promise<number> {
  const asOf = new Date(Date.now() - config.RANKING_READ_LAG_MS).toISOString();
  const reads = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      queryRankShard({
        icpId,
        version: 1,
        shard,
        below: undefined,
        asOf,
        filters: { grades: [...GRADES] },
        limit: PAGE,
      }),
    ),
  );
  for (let index = 0; index < 200; index++) mergeShards(reads, PAGE, {});
  const started = process.cpuUsage();
  for (let index = 0; index < MERGE_ITERATIONS; index++) mergeShards(reads, PAGE, {});
  const used = process.cpuUsage(started);
  return (used.user + used.system) / MERGE_ITERATIONS;
}

export const benchmark: Benchmark = {
  id: 'ranking',
  title: 'Ranking: read units and latency per page, shard merge, filters',
  run: async ({ progress: report, projectRoot }) => {
    const started = performance.now();
    const progress = (message: string) =>
      report(`${message} (at ${round((performance.now() - started) / 1000, 1)} s)`);

    // The bench ICPs: copies of the example ICP, registered through the config path and served straight away
    // (their ranking is seeded directly, so there is nothing for a rescore to build).
    const example = JSON.parse(
      readFileSync(join(projectRoot, 'config/example/icps/saas-midmarket.json'), 'utf8'),
    );
    const icps = new Map<string, { icp: Icp; version: number }>();
    for (const { id, shards } of ICPS) {
      const stored = await applyConfig('icp', {
        ...example,
        id,
        name: `Bench: ${shards} shards`,
        rankShards: shards,
      });
      icps.set(id, { icp: icpSchema.parse(stored.document), version: stored.version });
    }
    await updateScoringState((state) => {
      for (const { id } of ICPS)
        state.icps[id] = {
          serving: icps.get(id)!.version,
          building: null,
          completedAt: new Date().toISOString(),
        };
      return state;
    });
    const segmentDefinitions = await loadSegments();
    // Valid well before any walk starts (a walk reads the ranking as of RANKING_READ_LAG_MS ago).
    const seededAt = Date.now() - 10 * 60_000;
    let seeded = 0;
    const seed = async (id: string, from: number, to: number) => {
      const { icp, version } = icps.get(id)!;
      const generated = performance.now();
      const items = rankItems(icp, version, segmentDefinitions, from, to, seededAt);
      const generating = (performance.now() - generated) / 1000;
      const seconds = await batchWriteAll(documents, tableName, items, {
        concurrency: SEED_CONCURRENCY,
        progress: (done) => progress(`${id}: ${from + done} entries`),
      });
      seeded += items.length;
      progress(
        `${id}: ${to} entries (${to - from} written in ${round(seconds, 1)} s, ${Math.round((to - from) / seconds)}/s; generated in ${round(generating, 1)} s)`,
      );
      return seconds;
    };

    const watch = watchRequests(dynamo, 'benchRankingWatch');
    try {
      const sizeRows: Record<string, string | number>[] = [];
      const mergeRows: Record<string, string | number>[] = [];
      const filterRows: Record<string, string | number>[] = [];
      const seedSeconds = new Map<number, number>();
      const firstPages = new Map<number, Awaited<ReturnType<typeof measurePage>>>();
      let size = 0;
      for (const target of SIZES) {
        seedSeconds.set(target, await seed('bench-rank', size, target));
        // JIT, connection pool, DynamoDB Local's own warm-up: before the first figures, not in them.
        if (!size)
          for (let index = 0; index < GLOBAL_WARM_UP; index++) await listPage(`icp=bench-rank&limit=${PAGE}`);
        size = target;
        const query = `icp=bench-rank&limit=${PAGE}`;
        const first = await measurePage(watch, query);
        firstPages.set(size, first);
        const deepCursor = await cursorOf(query, DEEP_PAGE);
        const deep = await measurePage(watch, `${query}&cursor=${encodeURIComponent(deepCursor!)}`);
        for (const [page, figures] of [
          ['first', first],
          [`${DEEP_PAGE} (ranks ${(DEEP_PAGE - 1) * PAGE + 1}-${DEEP_PAGE * PAGE})`, deep],
        ] as const) {
          sizeRows.push({
            'scored prospects': size.toLocaleString('en-US'),
            page,
            'items on the page': figures.items,
            'median ms': round(figures.median),
            'p99 ms': round(figures.p99),
            'RCU per page': figures.rcu,
            'RCU, DynamoDB rules': figures.rcuRules,
            'same, eventually consistent': figures.rcuEventual,
            'entries read': figures.read,
            'KB read': round(figures.bytes / 1024, 1),
            'Queries per page': figures.queries,
            'Queries = shards (4)': figures.queries === 4 && figures.minQueries === 4 ? 'yes' : 'no',
          });
        }
        progress(`${size} prospects: first page ${round(first.median)} ms, ${first.rcu} RCU`);

        if (size === MERGE_SIZE) {
          for (const { id } of ICPS.slice(1)) await seed(id, 0, MERGE_SIZE);
          for (const { id, shards } of [...ICPS].sort((a, b) => a.shards - b.shards)) {
            const figures = id === 'bench-rank' ? first : await measurePage(watch, `icp=${id}&limit=${PAGE}`);
            mergeRows.push({
              shards,
              'items on the page': figures.items,
              'median ms': round(figures.median),
              'p99 ms': round(figures.p99),
              'RCU per page': figures.rcu,
              'entries read': figures.read,
              'Queries per page': figures.queries,
              'mergeShards CPU µs': round(await mergeCpu(id, shards), 1),
            });
          }
          progress('merge measured');
        }
      }

      // Filters, on the largest ranking.
      const since = new Date(seededAt - 7 * DAY).toISOString();
      const filters: [string, string][] = [
        ['none', ''],
        ['grade=A (a key range)', '&grade=A'],
        ['grade=C (a key range, deep in the ranking)', '&grade=C'],
        ['grade=B,D (a gap: key range B..D, C filtered out)', '&grade=B,D'],
        ['qualified=true (a filter)', '&qualified=true'],
        ['since=7 days ago (a filter)', `&since=${encodeURIComponent(since)}`],
        ['minEngagement=20 (a filter)', '&minEngagement=20'],
        ['segment=enterprise (a filter)', '&segment=enterprise'],
      ];
      for (const [name, filter] of filters) {
        let figures: Awaited<ReturnType<typeof measurePage>>;
        try {
          figures = await measurePage(watch, `icp=bench-rank&limit=${PAGE}${filter}`);
        } catch (error) {
          // A filter the endpoint cannot serve is a finding, not the end of the run.
          watch.consumedCapacity = false;
          const message = `fails: ${(error as Error).name} (${(error as Error).message.split(';').pop()!.trim()})`;
          progress(`${name}: ${message}`);
          filterRows.push({ filter: name, 'items on the page': message });
          continue;
        }
        const walk = await walkUntil(watch, `icp=bench-rank&limit=${PAGE}${filter}`, PAGE);
        filterRows.push({
          filter: name,
          'items on the page': figures.items,
          'median ms': round(figures.median),
          'RCU per page': figures.rcu,
          'entries read': figures.read,
          'pages to show 50 items': walk.pages,
          'RCU to show 50 items': walk.rcu,
          'Queries per page': figures.queries,
        });
      }

      const smallest = firstPages.get(SIZES[0]!)!;
      const largest = firstPages.get(SIZES.at(-1)!)!;
      sizeRows.push({
        'scored prospects': `ratio ${SIZES.at(-1)!.toLocaleString('en-US')} ÷ ${SIZES[0]!.toLocaleString('en-US')}`,
        page: 'first',
        'items on the page': round(largest.items / smallest.items),
        'median ms': round(largest.median / smallest.median),
        'p99 ms': round(largest.p99 / smallest.p99),
        'RCU per page': round(largest.rcu / smallest.rcu),
        'RCU, DynamoDB rules': round(largest.rcuRules / smallest.rcuRules),
        'same, eventually consistent': round(largest.rcuEventual / smallest.rcuEventual),
        'entries read': round(largest.read / smallest.read),
        'KB read': round(largest.bytes / smallest.bytes),
        'Queries per page': round(largest.queries / smallest.queries),
        'Queries = shards (4)': '',
      });
      const seeding = SIZES.map((target, index) => {
        const written = target - (SIZES[index - 1] ?? 0);
        return `${written.toLocaleString('en-US')} in ${round(seedSeconds.get(target)!, 1)} s`;
      }).join(', ');

      return [
        {
          title: `Ranked list, page of ${PAGE}, 4 shards (handleListProspects; ${SAMPLES} timed pages, ${COST_SAMPLES} counted, per row)`,
          rows: sizeRows,
          notes: sizeNotes(seeding, seeded, largest),
        },
        {
          title: `Shard merge: first page of ${PAGE} at ${MERGE_SIZE.toLocaleString('en-US')} scored prospects`,
          rows: mergeRows,
          notes: MERGE_NOTES,
        },
        {
          title: `Filters: first page of ${PAGE} at ${SIZES.at(-1)!.toLocaleString('en-US')} scored prospects, 4 shards`,
          rows: filterRows,
          notes: filterNotes(filterRows.some((row) => String(row['items on the page']).startsWith('fails'))),
        },
      ] satisfies BenchTable[];
    } finally {
      watch.remove();
      // Unserve the bench ICPs: later modules must not score every touchpoint for them too.
      await updateScoringState((state) => {
        for (const { id } of ICPS) delete state.icps[id];
        return state;
      });
    }
  },
};

function sizeNotes(seeding: string, seeded: number, largest: { rcu: number; bytes: number }): string {
  return `The ranking entries were written directly (${seeded.toLocaleString('en-US')} in all, BatchWriteItem, 25 a request,
${SEED_CONCURRENCY} in flight: ${seeding}), each exactly as \`commitScores\` writes it: \`rankItem(rankEntryFor(...))\` of a score computed by
the pure scoring from 1 to 8 touchpoints of the last 60 days, for prospects across every grade and both segments.
The ICP \`bench-rank\` is a copy of the example ICP, registered with \`applyConfig\` and served with
\`updateScoringState\`.

**Flat, as designed**: a page is one Query per shard, each \`Limit ${PAGE}\` from the top (or from the cursor's
key), so what it reads does not depend on how many prospects are ranked: the same 4 Queries, the same 200
entries. The few percent more bytes at the top of a larger ranking are its entries, not their number: the most
engaged of 100,000 prospects carry more reason lines (one per engagement rule they matched) than the most engaged
of 1,000. Latency differences between sizes are DynamoDB Local on a shared 2-core machine.
Nothing else is read per page: the scoring state and the ICP version are cached (\`CONFIG_CACHE_SECONDS\`;
versions are immutable). \`RCU per page\` is what DynamoDB Local reports; it equals \`RCU, DynamoDB rules\`, computed
from the bytes each Query returned (1 RCU per 4 KB a Query reads, rounded up per Query). The Queries are
strongly consistent (a walk must see both halves of a transaction that moved an entry), which costs twice the
eventually consistent figure in the next column. **Where the units go**: every shard is asked for a whole page
(${PAGE} entries), so a page reads 4 × ${PAGE} entries (about ${round(largest.bytes / 1024, 0)} KB, ${largest.rcu} RCU) to show ${PAGE};
what the merge does not emit is read again by the next page. See the merge table for how that scales with shards.`;
}

const MERGE_NOTES = `Same ${MERGE_SIZE.toLocaleString('en-US')} prospects under three ICPs that differ only in \`rankShards\`. Each shard is one
Query with \`Limit ${PAGE}\`, run in parallel; \`mergeShards\` then takes the best ${PAGE} of the S × ${PAGE} entries
(CPU time of the merge alone, on the same reads, mean of ${MERGE_ITERATIONS} runs: microseconds, negligible beside the Queries).
Read units grow linearly with the shard count, because every shard is read a whole page deep although on
average only ${PAGE}/S of its entries make the page; latency grows with it too (S requests, and DynamoDB Local
serves them on 2 cores). Shards exist for writes (about 1,000 writes/s per partition on DynamoDB); an ICP that
does not need them should keep few. A smaller per-shard Limit (about ${PAGE}/S plus a margin, reading more from a
shard only when the merge is blocked on it) would bring a page back to about ${PAGE} entries read at any shard count.`;

function filterNotes(failed: boolean): string {
  return `Grades are the first part of the ranking key, so one grade or a contiguous range of grades is a key condition:
it reads only matching entries and costs what an unfiltered page costs, wherever the grade sits in the ranking.
Everything else (segment, qualified, since, minEngagement, and a grade list with a gap) is a FilterExpression:
DynamoDB bills every entry the Query evaluates (\`entries read\`), matching or not, and each shard's \`Limit ${PAGE}\`
counts evaluated entries, so a selective filter returns a short page (still exactly ordered, with a cursor to
continue) for the read units of a full one, and a client walks on until it has enough: \`pages to show 50 items\`
and \`RCU to show 50 items\` walk from the top until 50 have been shown (at most 1,000 pages). A
filter that the top of the ranking passes anyway (qualified, since and minEngagement here) costs nothing extra; one that
the top fails (the enterprise segment: large companies get no size points, so they sit in the low grades) reads
its way down the whole ranking, a page of empty or short results at a time.${
    failed
      ? ` **\`segment=\` fails**: \`queryRankShard\` (lib/store/rankings.ts) writes \`contains(segments, :segment)\`, and
\`segments\` is a DynamoDB reserved word, so every Query is rejected (ValidationException; the endpoint answers 500).
It needs an ExpressionAttributeNames placeholder (\`#segments\`), as the grade filter already has.`
      : ''
  }`;
}
