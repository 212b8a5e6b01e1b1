import type { z } from 'zod';
import { parseOrThrow } from '../../model/errors.js';
import { GRADES } from '../../model/icp.js';
import { rescoreProgress } from '../../pipeline/rescore.js';
import { mergeShards } from '../../ranking/merge.js';
import { STALE_RANK_SECONDS } from '../../ranking/rank-changes.js';
import { presentRankEntry, type RankedProspect } from '../../ranking/rank-entry.js';
import { addPoints, ZERO_SUM } from '../../scoring/decay.js';
import { engagementKey } from '../../scoring/rank-key.js';
import { loadIcpVersion } from '../../scoring/scoring-config.js';
import { queryRankShard, type RankFilters } from '../../store/rankings.js';
import { getScoringState } from '../../store/scoring-state.js';
import { config } from '../../util/config.js';
import { requireScope } from '../http/auth.js';
import { csvRow } from '../http/csv.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { badRequest, notFound } from '../http/errors.js';
import { type HttpRequest, header, queryParameters } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { handleGetProspect } from './prospect-endpoint.js';
import { rankedListQuerySchema } from './prospect-schemas.js';

// An export is bounded by Lambda's 6 MB response: stop short of it and hand over a cursor.
const MAX_CSV_BYTES = 5 * 1024 * 1024;
const CSV_HEADER = [
  'rank',
  'prospectId',
  'email',
  'name',
  'company',
  'title',
  'grade',
  'fit',
  'engagement',
  'qualified',
  'lastTouchpointAt',
  'segments',
  'topReasons',
];

type ListQuery = z.infer<typeof rankedListQuerySchema>;
type Walk = {
  version: number;
  asOf: string;
  minKey?: string;
  positions: Record<number, string | null>;
  rank: number;
};

/** GET /v1/prospects: `?email=` looks one person up; `?icp=` lists the ranked prospects of an ICP. */
export async function handleListProspects(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  requireScope(event, 'prospects:read');
  const query = queryParameters(event);
  if (query.email !== undefined && query.icp === undefined) return handleGetProspect(event);
  const parsed = parseOrThrow(rankedListQuerySchema, query, 'query');
  const csv = parsed.format === 'csv' || (!parsed.format && wantsCsv(header(event, 'accept')));
  if (!csv) return json(200, await listPage(parsed, now));
  return csvExport(parsed, now);
}

function wantsCsv(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes('text/csv');
}

async function listPage(query: ListQuery, now: Date) {
  const page = await readPage(query, now);
  return {
    icp: { id: query.icp, version: page.version },
    items: page.items,
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    ...(page.scoring ? { scoring: page.scoring } : {}),
  };
}

/** Every page of the walk as one CSV: the same ranking, in the same order, formula-safe. */
async function csvExport(query: ListQuery, now: Date): Promise<HttpResponse> {
  const lines = [csvRow(CSV_HEADER)];
  let size = lines[0]!.length;
  let cursor = query.cursor;
  let next: string | undefined;
  for (;;) {
    const page = await readPage({ ...query, limit: 200, ...(cursor ? { cursor } : {}) }, now);
    for (const [index, item] of page.items.entries()) {
      const line = csvRow([
        page.firstRank + index,
        item.prospectId,
        item.email,
        item.name,
        item.company,
        item.title,
        item.grade,
        item.fit,
        item.engagement,
        item.qualified,
        item.lastTouchpointAt,
        item.segments.join(' '),
        item.topReasons.join('; '),
      ]);
      lines.push(line);
      size += line.length;
    }
    cursor = page.nextCursor;
    if (!cursor) break;
    if (size > MAX_CSV_BYTES) {
      next = cursor;
      break;
    }
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="prospects-${query.icp}.csv"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(next ? { 'x-next-cursor': next } : {}),
    },
    body: lines.join(''),
  };
}

async function readPage(query: ListQuery, now: Date) {
  const filters: RankFilters = {
    grades: query.grade ?? [...GRADES],
    ...(query.segment ? { segment: query.segment } : {}),
    ...(query.qualified !== undefined ? { qualified: query.qualified } : {}),
    ...(query.since ? { since: new Date(query.since).toISOString() } : {}),
  };
  // The cursor is bound to the filters it was issued for: reusing it with others is a 400.
  const binding = `ranked:${JSON.stringify({ ...filters, icp: query.icp, minEngagement: query.minEngagement })}`;
  const walk = query.cursor ? walkFromCursor(query.cursor, binding, now) : await startWalk(query, now);
  if (!walk) {
    const progress = await rescoreProgress(query.icp);
    return { version: null, items: [], firstRank: 1, nextCursor: undefined, scoring: progress };
  }
  const icp = await loadIcpVersion(query.icp, walk.version);
  const shards = Array.from({ length: icp.rankShards }, (_, shard) => shard).filter(
    (shard) => walk.positions[shard] !== null,
  );
  const reads = await Promise.all(
    shards.map((shard) =>
      queryRankShard({
        icpId: query.icp,
        version: walk.version,
        shard,
        below: walk.positions[shard] ?? undefined,
        asOf: walk.asOf,
        filters: { ...filters, ...(walk.minKey ? { minEngagementKey: walk.minKey } : {}) },
        limit: query.limit,
      }),
    ),
  );
  const merged = mergeShards(reads, query.limit, walk.positions);
  const items: RankedProspect[] = merged.items.map((entry) =>
    presentRankEntry(entry, icp.halfLifeDays, now.getTime()),
  );
  const nextWalk: Walk = { ...walk, positions: merged.positions, rank: walk.rank + items.length };
  return {
    version: walk.version,
    items,
    firstRank: walk.rank + 1,
    nextCursor: merged.more ? encodeCursor(nextWalk, binding) : undefined,
    scoring: undefined,
  };
}

async function startWalk(query: ListQuery, now: Date): Promise<Walk | undefined> {
  const versions = (await getScoringState()).icps[query.icp];
  if (!versions) throw notFound(`No ICP ${query.icp}`);
  if (versions.serving === null) return undefined;
  const icp = await loadIcpVersion(query.icp, versions.serving);
  const asOf = new Date(now.getTime() - config.RANKING_READ_LAG_MS).toISOString();
  // A minimum of current engagement is a minimum of the forward-decayed sum, fixed for the whole walk.
  const minKey =
    query.minEngagement !== undefined && query.minEngagement > 0
      ? engagementKey(addPoints(ZERO_SUM, query.minEngagement, now.getTime(), icp.halfLifeDays))
      : undefined;
  return { version: versions.serving, asOf, ...(minKey ? { minKey } : {}), positions: {}, rank: 0 };
}

function walkFromCursor(cursor: string, binding: string, now: Date): Walk {
  const walk = decodeCursor(cursor, binding) as Walk;
  if (now.getTime() - Date.parse(walk.asOf) > STALE_RANK_SECONDS * 1000)
    throw badRequest(
      [{ field: 'cursor', message: 'has expired: start the list again without a cursor' }],
      'This cursor has expired',
    );
  return walk;
}
