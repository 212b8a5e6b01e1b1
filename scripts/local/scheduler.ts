/**
 * The local stand-in for EventBridge schedule rules: invokes each scheduled function on its rate with the
 * Scheduled Event EventBridge sends (or the rule's constant `input`, which EventBridge sends instead).
 *
 * Like EventBridge, the first run comes one period after the rule is created, not at once. Unlike it, a run
 * that is still going when the next is due makes the next one wait (no overlap), a failed run is logged but not
 * retried (EventBridge's async invoke would retry twice), and `cron(...)` rules are listed but not run: invoke
 * such a function through the Lambda Invoke API with an event of your choosing.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';

export type ScheduleRule = {
  functionName: string;
  ruleName: string;
  expression: string;
  /** Undefined for expressions that cannot run locally (cron). */
  intervalMs: number | undefined;
  input?: unknown;
};

export type ScheduledEvent = EventBridgeEvent<'Scheduled Event', Record<string, never>>;

export const LOCAL_ACCOUNT = '000000000000';

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`, `rate(1 day)` → milliseconds; anything else → undefined. */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/i.exec(expression.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = UNIT_MS[match[2]!.toLowerCase()];
  return unit && value > 0 ? value * unit : undefined;
}

export function scheduledEvent(rule: Pick<ScheduleRule, 'ruleName'>, region: string, now = new Date()) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    // EventBridge states the time to the second.
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT}:rule/${rule.ruleName}`],
    detail: {},
  } satisfies ScheduledEvent;
}

export type Scheduler = { stop: () => Promise<void> };

export function startScheduler(options: {
  rules: readonly ScheduleRule[];
  region: string;
  invoke: (functionName: string, event: unknown) => Promise<unknown>;
  log?: (message: string) => void;
}): Scheduler {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  for (const rule of options.rules) {
    const intervalMs = rule.intervalMs;
    if (intervalMs === undefined) {
      log(`schedule: ${rule.functionName} ${rule.expression} is not run locally (only rate(...) is)`);
      continue;
    }
    const fire = () => {
      timers.delete(timer);
      if (stopped) return;
      const run = options
        .invoke(
          rule.functionName,
          rule.input !== undefined ? rule.input : scheduledEvent(rule, options.region),
        )
        .then(
          () => undefined,
          (error: Error) => log(`schedule: ${rule.functionName} failed: ${error.message}`),
        )
        .finally(() => {
          running.delete(run);
          if (!stopped) {
            timer = setTimeout(fire, intervalMs);
            timers.add(timer);
          }
        });
      running.add(run);
    };
    let timer = setTimeout(fire, intervalMs);
    timers.add(timer);
  }

  return {
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}
