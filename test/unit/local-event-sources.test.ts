import { describe, expect, it } from 'vitest';
import { matchesAnyPattern, parseFilterPatterns } from '../../scripts/local/event-filter.js';
import { rateIntervalMs, scheduledEvent, startScheduler } from '../../scripts/local/scheduler.js';
import { scheduleRules, streamSubscriptions } from '../../scripts/local/service-definition.js';

const touchpointInsert = {
  eventName: 'INSERT',
  dynamodb: {
    Keys: { PK: { S: 'P#1' }, SK: { S: 'T#2026#a' } },
    NewImage: { PK: { S: 'P#1' }, entity: { S: 'touchpoint' }, score: { N: '7' }, tags: { SS: ['a', 'b'] } },
  },
};

describe('Lambda event filter patterns, locally', () => {
  const matches = (patterns: unknown[], record: unknown = touchpointInsert) =>
    matchesAnyPattern(parseFilterPatterns(patterns), record);

  it('matches exact values in nested objects, every key of a pattern together', () => {
    const pattern = { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['touchpoint'] } } } };
    expect(matches([pattern])).toBe(true);
    expect(matches([pattern], { ...touchpointInsert, eventName: 'MODIFY' })).toBe(false);
    expect(matches([{ ...pattern, dynamodb: { NewImage: { entity: { S: ['profile'] } } } }])).toBe(false);
  });

  it('matches when any value of a list matches, and when any one pattern matches', () => {
    expect(matches([{ eventName: ['MODIFY', 'INSERT'] }])).toBe(true);
    expect(matches([{ eventName: ['REMOVE'] }, { eventName: ['INSERT'] }])).toBe(true);
    expect(matches([{ eventName: ['REMOVE'] }])).toBe(false);
  });

  it('treats a missing field as no match, except for exists: false', () => {
    expect(matches([{ dynamodb: { OldImage: { entity: { S: ['touchpoint'] } } } }])).toBe(false);
    expect(matches([{ dynamodb: { OldImage: [{ exists: false }] } }])).toBe(true);
    expect(matches([{ dynamodb: { NewImage: { entity: [{ exists: true }] } } }])).toBe(true);
  });

  it('supports prefix, suffix, anything-but, equals-ignore-case and numeric matchers', () => {
    expect(matches([{ dynamodb: { Keys: { SK: { S: [{ prefix: 'T#' }] } } } }])).toBe(true);
    expect(matches([{ dynamodb: { Keys: { SK: { S: [{ suffix: '#a' }] } } } }])).toBe(true);
    expect(matches([{ eventName: [{ 'anything-but': ['REMOVE'] }] }])).toBe(true);
    expect(matches([{ eventName: [{ 'anything-but': 'INSERT' }] }])).toBe(false);
    expect(matches([{ eventName: [{ 'equals-ignore-case': 'insert' }] }])).toBe(true);
    expect(matches([{ n: [{ numeric: ['>', 1, '<=', 5] }] }], { n: 5 })).toBe(true);
    expect(matches([{ n: [{ numeric: ['>', 1, '<=', 5] }] }], { n: 6 })).toBe(false);
    // A list in the record matches when one of its elements does.
    expect(matches([{ dynamodb: { NewImage: { tags: { SS: ['b'] } } } }])).toBe(true);
  });

  it('matches everything without patterns, and refuses what it cannot evaluate instead of letting it through', () => {
    expect(matches([])).toBe(true);
    expect(() => parseFilterPatterns([{ eventName: [{ wildcard: 'IN*' }] }])).toThrow(/not supported/);
    expect(() => parseFilterPatterns([{ $or: [] }])).toThrow(/not supported/);
    expect(() => parseFilterPatterns({ eventName: ['INSERT'] })).toThrow(/list/);
  });

  it('reads CloudFormation-style { Pattern: "<json>" } entries too', () => {
    expect(
      matchesAnyPattern(parseFilterPatterns([{ Pattern: '{"eventName":["INSERT"]}' }]), touchpointInsert),
    ).toBe(true);
  });
});

describe('event sources read from serverless.yml', () => {
  const functions = {
    scoreTouchpoints: {
      handler: 'functions/score-touchpoints.handler',
      events: [
        {
          stream: {
            type: 'dynamodb',
            arn: { '!GetAtt': 'ProspectTable.StreamArn' },
            batchSize: 25,
            functionResponseType: 'ReportBatchItemFailures',
            filterPatterns: [{ eventName: ['INSERT'] }],
          },
        },
      ],
    },
    legacyConsumer: { handler: 'functions/x.handler', events: [{ stream: 'arn:aws:dynamodb:...' }] },
    disabledConsumer: { handler: 'functions/y.handler', events: [{ stream: { arn: 'a', enabled: false } }] },
    dispatchOnboarding: { handler: 'functions/dispatch.handler', events: [{ schedule: 'rate(1 minute)' }] },
    nightly: {
      handler: 'functions/nightly.handler',
      events: [{ schedule: { rate: ['rate(2 hours)', 'cron(0 3 * * ? *)'], input: '{"full":true}' } }],
    },
    off: {
      handler: 'functions/off.handler',
      events: [{ schedule: { rate: 'rate(1 day)', enabled: false } }],
    },
  };

  it('turns each enabled stream event into a subscription with its batch size, filters and response type', () => {
    expect(streamSubscriptions(functions)).toEqual([
      {
        functionName: 'scoreTouchpoints',
        batchSize: 25,
        filterPatterns: [{ eventName: ['INSERT'] }],
        reportBatchItemFailures: true,
      },
      { functionName: 'legacyConsumer', batchSize: 100, filterPatterns: [], reportBatchItemFailures: false },
    ]);
  });

  it('turns each enabled schedule expression into a rule, keeping constant input', () => {
    expect(scheduleRules(functions, 'svc-local')).toEqual([
      {
        functionName: 'dispatchOnboarding',
        ruleName: 'svc-local-dispatchOnboarding-rule-1',
        expression: 'rate(1 minute)',
        intervalMs: 60_000,
      },
      {
        functionName: 'nightly',
        ruleName: 'svc-local-nightly-rule-1',
        expression: 'rate(2 hours)',
        intervalMs: 7_200_000,
        input: { full: true },
      },
      {
        functionName: 'nightly',
        ruleName: 'svc-local-nightly-rule-2',
        expression: 'cron(0 3 * * ? *)',
        intervalMs: undefined,
        input: { full: true },
      },
    ]);
  });

  it('reads the real serverless.yml whether or not it has stream and schedule events yet', () => {
    expect(() => streamSubscriptions()).not.toThrow();
    expect(scheduleRules().every((rule) => rule.ruleName.startsWith('prospect-scoring-local-'))).toBe(true);
  });
});

describe('the local scheduler', () => {
  it('parses rate expressions in minutes, hours and days, and nothing else', () => {
    expect(rateIntervalMs('rate(1 minute)')).toBe(60_000);
    expect(rateIntervalMs('rate(5 minutes)')).toBe(300_000);
    expect(rateIntervalMs('rate(1 day)')).toBe(86_400_000);
    expect(rateIntervalMs('rate(0 minutes)')).toBeUndefined();
    expect(rateIntervalMs('rate(1 fortnight)')).toBeUndefined();
    expect(rateIntervalMs('cron(0 12 * * ? *)')).toBeUndefined();
  });

  it('builds the Scheduled Event EventBridge sends', () => {
    const event = scheduledEvent({ ruleName: 'r1' }, 'eu-west-1', new Date('2026-11-25T10:00:00.123Z'));
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-11-25T10:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/r1'],
      detail: {},
    });
  });

  it('invokes each function on its rate, not at once, and stops invoking when stopped', async () => {
    const calls: { name: string; event: unknown; at: number }[] = [];
    const started = Date.now();
    const scheduler = startScheduler({
      rules: [
        { functionName: 'every60ms', ruleName: 'a', expression: 'rate(test)', intervalMs: 60 },
        {
          functionName: 'withInput',
          ruleName: 'b',
          expression: 'rate(test)',
          intervalMs: 60,
          input: { x: 1 },
        },
        { functionName: 'cron', ruleName: 'c', expression: 'cron(* * * * ? *)', intervalMs: undefined },
      ],
      region: 'us-east-1',
      invoke: async (name, event) => {
        calls.push({ name, event, at: Date.now() - started });
        if (name === 'withInput') throw new Error('a failing run does not stop the schedule');
      },
      log: () => undefined,
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await scheduler.stop();
    const count = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(calls.length).toBe(count);
    const regular = calls.filter((call) => call.name === 'every60ms');
    expect(regular.length).toBeGreaterThanOrEqual(3);
    expect(regular[0]!.at).toBeGreaterThanOrEqual(55);
    expect(regular[0]!.event).toMatchObject({
      'detail-type': 'Scheduled Event',
      resources: [expect.stringMatching(/rule\/a$/)],
    });
    expect(calls.filter((call) => call.name === 'withInput').length).toBeGreaterThanOrEqual(3);
    expect(calls.find((call) => call.name === 'withInput')!.event).toEqual({ x: 1 });
    expect(calls.some((call) => call.name === 'cron')).toBe(false);
  });
});
