/**
 * Survey recording: the latency of POST /v1/survey (the first answer, and a changed one), and of the answer page
 * (GET), in-process as a warm Lambda runs them, against DynamoDB Local, with the requests each costs.
 */
import { performance } from 'node:perf_hooks';
import { handleSurvey } from '../lib/edge/onboarding/survey-endpoint.js';
import { loadSequenceVersion } from '../lib/onboarding/onboarding-config.js';
import { signSurveyToken } from '../lib/onboarding/survey-token.js';
import { documents, dynamo, tableName } from '../lib/store/client.js';
import { type Enrollment, enrollmentItem } from '../lib/store/enrollments.js';
import { keys } from '../lib/store/keys.js';
import { config } from '../lib/util/config.js';
import { apiGatewayEvent } from '../scripts/local/api-gateway.js';
import { type Benchmark, batchWriteAll, median, percentile, round, watchRequests } from './lib.js';

const PEOPLE = Number(process.env.BENCH_SURVEY_PEOPLE ?? 300);
const SEQUENCE = 'saas-midmarket-onboarding';
const STEP = 'nps-30-days';

export const benchmark: Benchmark = {
  id: 'surveys',
  title: 'Survey answers: recording latency',
  async run({ progress }) {
    const sequence = await loadSequenceVersion(SEQUENCE, 1);
    if (!sequence?.steps.some((step) => step.id === STEP && step.survey))
      throw new Error(`config/example's ${SEQUENCE} has no survey step ${STEP}`);
    const now = new Date();
    progress(`seeding ${PEOPLE} customers who were sent the NPS`);
    const items: Record<string, unknown>[] = [];
    const ids: string[] = [];
    for (let index = 0; index < PEOPLE; index++) {
      const prospectId = index.toString(16).padStart(24, 'c');
      ids.push(prospectId);
      items.push({
        ...keys.prospectProfile(prospectId),
        entity: 'prospect',
        prospectId,
        email: `bench-${index}@example.com`,
        known: true,
        lifecycle: 'customer',
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      });
      const enrollment: Enrollment = {
        prospectId,
        sequenceId: SEQUENCE,
        sequenceVersion: 1,
        status: 'completed',
        enrolledAt: now.toISOString(),
        updatedAt: now.toISOString(),
        stepIndex: sequence.steps.length,
        timezone: 'UTC',
        expectations: [],
        history: [],
      };
      items.push(enrollmentItem(enrollment));
      items.push({
        ...keys.sendRecord(prospectId, SEQUENCE, STEP),
        entity: 'send',
        prospectId,
        sequenceId: SEQUENCE,
        stepId: STEP,
        status: 'sent',
        attempts: 1,
        sentAt: now.toISOString(),
        surveyKind: 'nps',
      });
    }
    await batchWriteAll(documents, tableName, items);
    const link = (prospectId: string, answer: number) =>
      `/v1/survey?token=${signSurveyToken(
        {
          prospectId,
          sequenceId: SEQUENCE,
          stepId: STEP,
          kind: 'nps',
          answer,
          expires: Math.floor(now.getTime() / 1000) + 86_400,
        },
        config.SURVEY_SECRETS[0]!,
      )}`;
    const call = async (method: 'GET' | 'POST', url: string, body?: string) => {
      const event = apiGatewayEvent({
        method,
        url,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
        ...(body === undefined ? {} : { body }),
      });
      const response = await handleSurvey(event as never, now);
      if (response.statusCode !== 200) throw new Error(`${method} ${response.statusCode}: ${response.body}`);
    };

    const watch = watchRequests(dynamo, 'benchSurveyWatch');
    const rows: Record<string, string | number>[] = [];
    try {
      for (const [label, method, answer, body] of [
        ['GET: the answer page (records nothing)', 'GET', 9, undefined],
        ['POST: first answer (touchpoint written)', 'POST', 9, 'answer=9&comment=Quick+setup'],
        ['POST: changed answer (touchpoint rewritten)', 'POST', 3, 'answer=3&comment=The+import+broke'],
      ] as const) {
        progress(label);
        const samples: number[] = [];
        let requests = 0;
        for (const prospectId of ids) {
          const started = performance.now();
          const recorded = await watch.record(() => call(method, link(prospectId, answer), body));
          samples.push(performance.now() - started);
          requests += recorded.requests.length;
        }
        const commands = new Set<string>();
        const last = await watch.record(() => call(method, link(ids[0]!, answer), body));
        for (const request of last.requests) commands.add(request.command.replace(/Command$/, ''));
        rows.push({
          operation: label,
          calls: samples.length,
          'median ms': round(median(samples), 2),
          'p99 ms': round(percentile(samples, 99), 2),
          'requests per call': round(requests / samples.length, 1),
          requests: [...commands].join(', '),
        });
      }
    } finally {
      watch.remove();
    }
    return [
      {
        title: `Survey answer links, in-process handler against DynamoDB Local (${PEOPLE} people, one call each)`,
        rows,
        notes:
          'Each call verifies the signed token (HMAC-SHA256), then reads the send record, the enrollment (for the sequence version, whose survey text is cached) and the answer given so far, side by side (three consistent GetItems). GET stops there and renders the page. POST writes one TransactWriteItems: the answer item (conditional on the revision read), the survey touchpoint (a Put for the first answer, an Update in place for a changed one) and a check that the person is still there; the scorer then counts it from the stream, replacing the answer counted before. Latency is the handler only (API Gateway and the Lambda runtime add their own), on DynamoDB Local sharing a 2-core machine.',
      },
    ];
  },
};
