import type * as z from 'zod';
import { histogramIn, summarise } from '../../experience/histogram.js';
import { type Audience, COUNTERS } from '../../experience/increments.js';
import {
  conversionRate,
  csatMean,
  expectationSummary,
  frictionRatio,
  nps,
  rollUp,
} from '../../experience/metrics.js';
import type { CounterItem, Dimension } from '../../model/counters.js';
import { parseOrThrow } from '../../model/errors.js';
import { GRADES } from '../../model/icp.js';
import { ANY_ICP, readAggregateDays, readFormFailureDays } from '../../store/aggregates.js';
import { listConfigIds } from '../../store/config-store.js';
import { getScoringState } from '../../store/scoring-state.js';
import { requireScope } from '../http/auth.js';
import { toCsv } from '../http/csv.js';
import { badRequest, notFound } from '../http/errors.js';
import { type HttpRequest, header, queryParameters } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { experienceQuerySchema, MAX_REPORT_DAYS } from './report-schemas.js';

const DAY_MS = 86_400_000;

type ExperienceQuery = z.infer<typeof experienceQuerySchema>;

export type GroupReport = {
  group: string;
  prospects: number;
  customers: number;
  nps: Record<'prospects' | 'customers', ReturnType<typeof nps>>;
  csat: Record<'prospects' | 'customers', { mean: number | null; answers: number }>;
  firstResponse: { responses: number; medianSeconds: number | null; p90Seconds: number | null };
  conversion: ReturnType<typeof conversionRate>;
  friction?: ReturnType<typeof frictionRatio> & {
    fields: ({ field: string } & ReturnType<typeof frictionRatio>)[];
  };
  /** New customers who got no onboarding email at all, and why (`onboarding.skipped` on each of them). */
  onboarding: { skipped: number; reasons: Record<string, number> };
  expectations?: ({
    id: string;
    given: number;
    /** NPS of the people whose promise was kept, and of those whose promise was broken. */
    nps: { met: ReturnType<typeof nps>; broken: ReturnType<typeof nps> };
    /** The figures in words: `first-response: kept for 83.3% (5 of 6 decided); NPS 40 kept vs -100 broken`. */
    summary: string;
  } & ReturnType<typeof expectationSummary>)[];
};

export async function handleExperienceReport(event: HttpRequest): Promise<HttpResponse> {
  requireScope(event, 'prospects:read');
  const query = parseOrThrow(experienceQuerySchema, queryParameters(event), 'query');
  const { from, to } = dayRange(query);
  const report = await buildReport(query, from, to);
  const csv =
    query.format === 'csv' ||
    (!query.format && (header(event, 'accept') ?? '').toLowerCase().includes('text/csv'));
  if (!csv) return json(200, report);
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="experience-${query.icp}-${query.groupBy}-${from}-${to}.csv"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
    body: reportCsv(report.groups),
  };
}

function dayRange(query: ExperienceQuery): { from: string; to: string } {
  const from = utcDay(query.from);
  const to = utcDay(query.to);
  if (to < from) throw badRequest([{ field: 'to', message: 'must not be before from' }]);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days > MAX_REPORT_DAYS)
    throw badRequest([
      { field: 'to', message: `must be within ${MAX_REPORT_DAYS} days of from (inclusive), got ${days}` },
    ]);
  return { from, to };
}

/** The UTC day of a date or date-time: counters are kept per UTC day. */
function utcDay(value: string): string {
  return value.length === 10 ? value : new Date(value).toISOString().slice(0, 10);
}

async function buildReport(query: ExperienceQuery, from: string, to: string) {
  const versions = (await getScoringState()).icps[query.icp];
  if (!versions) throw notFound(`No ICP ${query.icp}`);
  const groups = await groupsOf(query.groupBy);
  // Sequences are chosen across ICPs: their counters belong to none.
  const scope = query.groupBy === 'sequence' ? ANY_ICP : query.icp;
  const reports = await Promise.all(
    groups.map(async (group) => {
      const [days, failures] = await Promise.all([
        readAggregateDays(scope, query.groupBy, group, from, to),
        query.groupBy === 'form' ? readFormFailureDays(group, from, to) : undefined,
      ]);
      return groupReport(group, query.groupBy, rollUp(days), failures && rollUp(failures));
    }),
  );
  return { icp: query.icp, groupBy: query.groupBy, from, to, groups: reports };
}

async function groupsOf(groupBy: Dimension): Promise<string[]> {
  if (groupBy === 'grade') return [...GRADES];
  return (await listConfigIds(groupBy)).map((entry) => entry.id).sort();
}

/** One group's figures from its rolled-up day items (and, for a form, its rolled-up failure days). */
export function groupReport(
  group: string,
  dimension: Dimension,
  counters: CounterItem,
  failures?: CounterItem,
): GroupReport {
  const count = (name: string) => {
    const value = counters[name];
    return typeof value === 'number' ? value : 0;
  };
  const npsOf = (who: Audience) =>
    nps({
      promoters: count(COUNTERS.nps(who, 'promoter')),
      passives: count(COUNTERS.nps(who, 'passive')),
      detractors: count(COUNTERS.nps(who, 'detractor')),
    });
  const csatOf = (who: Audience) => {
    const answers = count(COUNTERS.csatCount(who));
    return { mean: csatMean({ sum: count(COUNTERS.csatSum(who)), count: answers }), answers };
  };
  const response = summarise(histogramIn(counters, COUNTERS.firstResponse));
  const report: GroupReport = {
    group,
    prospects: count(COUNTERS.prospects),
    customers: count(COUNTERS.customers),
    nps: { prospects: npsOf('prospect'), customers: npsOf('customer') },
    csat: { prospects: csatOf('prospect'), customers: csatOf('customer') },
    firstResponse: { responses: response.count, medianSeconds: response.median, p90Seconds: response.p90 },
    conversion: conversionRate({
      qualified: count(COUNTERS.qualified),
      converted: count(COUNTERS.qualifiedConverted),
    }),
    onboarding: {
      skipped: count(COUNTERS.onboardingSkipped),
      reasons: Object.fromEntries(
        Object.entries(counters)
          .filter(
            (entry): entry is [string, number] =>
              entry[0].startsWith(`${COUNTERS.onboardingSkipped}:`) &&
              typeof entry[1] === 'number' &&
              entry[1] > 0,
          )
          .map(([name, value]): [string, number] => [
            name.slice(COUNTERS.onboardingSkipped.length + 1),
            value,
          ])
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    },
  };
  if (dimension === 'form') {
    const succeeded = count(COUNTERS.formsSubmitted);
    const failed = typeof failures?.failed === 'number' ? failures.failed : 0;
    const fields = Object.entries(failures ?? {})
      .filter(
        (entry): entry is [string, number] => entry[0].startsWith('field:') && typeof entry[1] === 'number',
      )
      .map(([name, fieldFailed]) => ({
        field: name.slice('field:'.length),
        ...frictionRatio({ failed: fieldFailed, succeeded }),
      }))
      .sort((a, b) => b.failed - a.failed || a.field.localeCompare(b.field));
    report.friction = { ...frictionRatio({ failed, succeeded }), fields };
  }
  if (dimension === 'sequence') {
    const ids = new Set(
      Object.keys(counters)
        .map((name) => /^expectation:(?:given|met|broken):(.+)$/.exec(name)?.[1])
        .filter((id): id is string => id !== undefined),
    );
    const npsWhere = (id: string, outcome: 'met' | 'broken') =>
      nps({
        promoters: count(COUNTERS.expectationNps(id, outcome, 'promoter')),
        passives: count(COUNTERS.expectationNps(id, outcome, 'passive')),
        detractors: count(COUNTERS.expectationNps(id, outcome, 'detractor')),
      });
    report.expectations = [...ids].sort().map((id) => {
      const given = count(COUNTERS.expectation(id, 'given'));
      const met = count(COUNTERS.expectation(id, 'met'));
      const broken = count(COUNTERS.expectation(id, 'broken'));
      const summary = expectationSummary({ met, broken, open: Math.max(0, given - met - broken) });
      const byOutcome = { met: npsWhere(id, 'met'), broken: npsWhere(id, 'broken') };
      return { id, given, ...summary, nps: byOutcome, summary: expectationWords(id, summary, byOutcome) };
    });
  }
  return report;
}

function expectationWords(
  id: string,
  summary: ReturnType<typeof expectationSummary>,
  byOutcome: { met: ReturnType<typeof nps>; broken: ReturnType<typeof nps> },
): string {
  const kept =
    summary.metRate === null
      ? 'none decided yet'
      : `kept for ${Math.round(summary.metRate * 1000) / 10}% (${summary.met} of ${summary.decided} decided)`;
  const score = (value: ReturnType<typeof nps>) =>
    value.score === null ? 'no answers' : `${value.score} (${value.answers} answers)`;
  return `${id}: ${kept}; NPS ${score(byOutcome.met)} kept vs ${score(byOutcome.broken)} broken`;
}

const CSV_HEADER = [
  'group',
  'prospects',
  'customers',
  'npsProspects',
  'npsProspectAnswers',
  'npsCustomers',
  'npsCustomerAnswers',
  'csatProspects',
  'csatProspectAnswers',
  'csatCustomers',
  'csatCustomerAnswers',
  'firstResponses',
  'firstResponseMedianSeconds',
  'firstResponseP90Seconds',
  'qualified',
  'qualifiedConverted',
  'conversionRate',
  'formSucceeded',
  'formFailed',
  'frictionRatio',
  'fieldFriction',
  'onboardingSkipped',
  'expectations',
];

/** One row per group; per-field friction and expectations as `name: figures` lists in one cell each. */
export function reportCsv(groups: readonly GroupReport[]): string {
  return toCsv(
    CSV_HEADER,
    groups.map((group) => [
      group.group,
      group.prospects,
      group.customers,
      group.nps.prospects.score,
      group.nps.prospects.answers,
      group.nps.customers.score,
      group.nps.customers.answers,
      group.csat.prospects.mean,
      group.csat.prospects.answers,
      group.csat.customers.mean,
      group.csat.customers.answers,
      group.firstResponse.responses,
      group.firstResponse.medianSeconds,
      group.firstResponse.p90Seconds,
      group.conversion.qualified,
      group.conversion.converted,
      group.conversion.rate,
      group.friction?.succeeded,
      group.friction?.failed,
      group.friction?.ratio,
      group.friction?.fields.map((field) => `${field.field}: ${field.failed}`).join('; '),
      group.onboarding.skipped,
      group.expectations
        ?.map(
          (item) =>
            `${item.id}: ${item.met} met, ${item.broken} broken, ${item.open} open, NPS ${item.nps.met.score ?? '-'} kept vs ${item.nps.broken.score ?? '-'} broken`,
        )
        .join('; '),
    ]),
  );
}
