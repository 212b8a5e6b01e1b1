/**
 * Onboarding dispatch: due steps sent per second by one dispatcher invocation (in-process, as a warm Lambda runs
 * it) against DynamoDB Local with the outbox provider, the requests each step costs, and what a run costs when
 * nothing is due however many enrollments wait (the sparse due index: it must not read them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { emailHash } from '../lib/identity/identity.js';
import { outboxProvider } from '../lib/mail/outbox-provider.js';
import { dispatchOnboarding } from '../lib/onboarding/dispatch.js';
import { loadSequenceVersion } from '../lib/onboarding/onboarding-config.js';
import { nextSendTime } from '../lib/onboarding/schedule.js';
import { documents, dynamo, tableName } from '../lib/store/client.js';
import { type Enrollment, enrollmentItem } from '../lib/store/enrollments.js';
import { keys } from '../lib/store/keys.js';
import { type Benchmark, type BenchTable, batchWriteAll, median, round, watchRequests } from './lib.js';

const DUE = Number(process.env.BENCH_ONBOARDING_DUE ?? 1000);
const WAITING = Number(process.env.BENCH_ONBOARDING_WAITING ?? 20_000);
const IDLE_RUNS = 20;
const SEQUENCE = 'saas-midmarket-onboarding';
const TIMEZONE = 'Europe/Berlin';

export const benchmark: Benchmark = {
  id: 'onboarding',
  title: 'Onboarding dispatch',
  async run({ progress }) {
    const sequence = await loadSequenceVersion(SEQUENCE, 1);
    if (!sequence) throw new Error(`config/example has no ${SEQUENCE}`);
    // A moment inside the send window, so every seeded step is sendable, not rescheduled.
    const now = nextSendTime(new Date(Date.now() + 86_400_000), sequence.sendWindow, TIMEZONE);
    const later = new Date(now.getTime() + 3 * 86_400_000);

    progress(`seeding ${DUE} due and ${WAITING} waiting enrollments`);
    const items: Record<string, unknown>[] = [];
    const seed = (index: number, dueAt: Date, kind: string) => {
      const prospectId = `${kind}${String(index).padStart(24 - kind.length, '0')}`;
      const email = `bench-${kind}-${index}@example.com`;
      const hash = emailHash(email);
      items.push({
        ...keys.prospectProfile(prospectId),
        entity: 'prospect',
        prospectId,
        email,
        emailHash: hash,
        firstName: 'Ada',
        company: 'Analytical Engines',
        known: true,
        lifecycle: 'customer',
        consent: {
          formId: 'demo-request',
          version: '1',
          text: 'yes',
          givenAt: now.toISOString(),
          marketing: true,
        },
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      });
      const enrollment: Enrollment = {
        prospectId,
        sequenceId: SEQUENCE,
        sequenceVersion: 1,
        status: 'active',
        enrolledAt: now.toISOString(),
        updatedAt: now.toISOString(),
        stepIndex: 0,
        nextDueAt: dueAt.toISOString(),
        timezone: TIMEZONE,
        expectations: [],
        history: [],
      };
      items.push(enrollmentItem(enrollment));
    };
    for (let index = 0; index < WAITING; index++) seed(index, later, 'aaaa');
    for (let index = 0; index < DUE; index++) seed(index, now, 'bbbb');
    const seedSeconds = await batchWriteAll(documents, tableName, items);
    progress(`seeded in ${round(seedSeconds, 1)} s`);

    const outbox = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
    const provider = outboxProvider({ dir: outbox });
    const watch = watchRequests(dynamo, 'benchOnboardingWatch');
    watch.consumedCapacity = true;
    try {
      // Nothing due yet: a minute before `now`, every run reads the index and finds nothing.
      const idle: number[] = [];
      let idleRequests = 0;
      let idleItems = 0;
      let idleUnits = 0;
      for (let run = 0; run < IDLE_RUNS; run++) {
        const started = performance.now();
        const { result, requests } = await watch.record(() =>
          dispatchOnboarding(new Date(now.getTime() - 60_000), { provider }),
        );
        idle.push(performance.now() - started);
        if (result.due !== 0) throw new Error('an idle run found something due');
        idleRequests = requests.length;
        idleItems = requests.reduce((sum, request) => sum + Number(request.output.Count ?? 0), 0);
        idleUnits = requests.reduce((sum, request) => sum + request.consumed, 0);
      }

      progress(`dispatching ${DUE} due steps in one invocation`);
      const started = performance.now();
      const { result, requests } = await watch.record(() => dispatchOnboarding(now, { provider }));
      const seconds = (performance.now() - started) / 1000;
      if (result.sent !== DUE) throw new Error(`sent ${result.sent} of ${DUE}: ${JSON.stringify(result)}`);
      const byCommand = new Map<string, number>();
      for (const request of requests)
        byCommand.set(request.command, (byCommand.get(request.command) ?? 0) + 1);
      const units = requests.reduce((sum, request) => sum + request.consumed, 0);

      const tables: BenchTable[] = [
        {
          title: 'Due steps sent by one invocation (outbox provider)',
          rows: [
            {
              'due steps': DUE,
              'waiting enrollments (not due)': WAITING,
              seconds: round(seconds, 2),
              'steps / s': round(DUE / seconds, 1),
              'requests / step': round(requests.length / DUE, 1),
              'capacity units / step': round(units / DUE, 1),
            },
          ],
          notes: `Requests per step: ${[...byCommand]
            .map(([command, count]) => `${command.replace(/Command$/, '')} ${round(count / DUE, 2)}`)
            .join(
              ', ',
            )}. Sequential by design (one step at a time per invocation): a send is a network round trip to the provider, and the claim, send, record order is what makes each step at most once. Throughput grows with concurrent invocations (claims keep them apart), not inside one.`,
        },
        {
          title: 'A dispatcher run when nothing is due',
          rows: [
            {
              'waiting enrollments': WAITING + DUE,
              'median ms': round(median(idle), 1),
              requests: idleRequests,
              'items read': idleItems,
              'capacity units': round(idleUnits, 1),
            },
          ],
          notes:
            'One Query per due-index shard (4), each bounded by `GSI1SK <= now`: no enrollment that is not due is read, whatever their number. Only active enrollments carry the index keys (sparse index). DynamoDB Local reports no capacity for a Query that reads nothing; DynamoDB charges at least 0.5 read units per Query, so an idle run costs 2 read units a minute.',
        },
      ];
      return tables;
    } finally {
      watch.remove();
      rmSync(outbox, { recursive: true, force: true });
    }
  },
};
