import { describe, expect, it } from 'vitest';
import {
  exitReason,
  remainingCategories,
  type SkipCondition,
  type StepFacts,
  sequenceSchema,
  skipConditionSchema,
  skipStep,
} from '../../lib/onboarding/sequence.js';
import { startMatches } from '../../lib/onboarding/sequence-start.js';

const document = () => ({
  id: 'saas-midmarket-onboarding',
  name: 'Mid-market SaaS onboarding',
  priority: 10,
  match: { icps: ['saas-midmarket'], grades: ['A', 'B'] },
  steps: [
    { id: 'welcome', template: 'welcome' },
    {
      id: 'connect',
      delay: { days: 2 },
      template: 'connect-integration',
      skipIf: { event: 'Integration Connected' },
    },
    { id: 'check-in', delay: { days: 5, hours: 3 }, template: 'check-in' },
  ],
  exitOn: { goalEvents: ['Integration *'] },
  sendWindow: {
    timezone: 'Europe/Berlin',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    from: '09:00',
    to: '17:00',
  },
  expectations: [
    {
      id: 'first-response',
      text: 'A specialist replies within 1 business day',
      kind: 'first-response',
      within: { businessDays: 1 },
    },
  ],
});

const issuesOf = (input: unknown) => {
  const result = sequenceSchema.safeParse(input);
  if (result.success) throw new Error('expected the document to be rejected');
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

describe('sequence schema', () => {
  it('accepts a sequence and fills in the defaults', () => {
    const sequence = sequenceSchema.parse(document());

    expect(sequence.steps[0]?.delay).toEqual({ days: 0, hours: 0, minutes: 0 });
    expect(sequence.steps[2]?.delay).toEqual({ days: 5, hours: 3, minutes: 0 });
    expect(sequence.exitOn).toEqual({ unsubscribed: true, goalEvents: ['Integration *'], churn: true });
  });

  it('defaults the zone to UTC, the match to everyone and the expectations to none', () => {
    const { match: _match, expectations: _expectations, ...rest } = document();
    const sequence = sequenceSchema.parse({
      ...rest,
      sendWindow: { days: ['mon'], from: '09:00', to: '12:00' },
    });

    expect(sequence.sendWindow.timezone).toBe('UTC');
    expect(sequence.match).toEqual({});
    expect(sequence.expectations).toEqual([]);
  });

  it('does not let unsubscribing be turned off as an exit', () => {
    const issues = issuesOf({ ...document(), exitOn: { unsubscribed: false } });

    expect(issues).toEqual([
      { path: 'exitOn.unsubscribed', message: expect.stringMatching(/cannot be turned off/) },
    ]);
  });

  it('rejects a send window that crosses midnight, naming the field', () => {
    const issues = issuesOf({
      ...document(),
      sendWindow: { days: ['fri'], from: '22:00', to: '02:00' },
    });

    expect(issues).toEqual([{ path: 'sendWindow.to', message: expect.stringMatching(/cross midnight/) }]);
  });

  it('accepts 24:00 as the end of a window but not as its start', () => {
    const late = { ...document(), sendWindow: { days: ['sat'], from: '20:00', to: '24:00' } };
    expect(sequenceSchema.parse(late).sendWindow.to).toBe('24:00');

    const issues = issuesOf({ ...document(), sendWindow: { days: ['sat'], from: '24:00', to: '24:00' } });
    expect(issues.map((issue) => issue.path)).toContain('sendWindow.from');
  });

  it('rejects an unknown time zone and malformed times', () => {
    const issues = issuesOf({
      ...document(),
      sendWindow: { timezone: 'Mars/Olympus_Mons', days: ['mon', 'mon'], from: '9:00', to: '25:00' },
    });

    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'sendWindow.days',
      'sendWindow.from',
      'sendWindow.timezone',
      'sendWindow.to',
    ]);
  });

  it('requires one to twenty steps with unique ids', () => {
    expect(issuesOf({ ...document(), steps: [] })[0]?.path).toBe('steps');
    const many = Array.from({ length: 21 }, (_, index) => ({ id: `step-${index}`, template: 'welcome' }));
    expect(issuesOf({ ...document(), steps: many })[0]?.path).toBe('steps');

    const twice = [
      { id: 'welcome', template: 'welcome' },
      { id: 'welcome', template: 'other' },
    ];
    expect(issuesOf({ ...document(), steps: twice })).toEqual([
      { path: 'steps', message: 'step ids must be unique' },
    ]);
  });

  it('requires unique expectation ids and one kind of deadline', () => {
    const expectation = document().expectations[0]!;
    expect(issuesOf({ ...document(), expectations: [expectation, expectation] })).toEqual([
      { path: 'expectations', message: 'expectation ids must be unique' },
    ]);

    const both = { ...expectation, within: { businessDays: 1, hours: 4 } };
    expect(issuesOf({ ...document(), expectations: [both] })[0]?.path).toBe('expectations.0.within');
  });

  it('names the step whose delay is invalid', () => {
    const steps: unknown[] = document().steps;
    steps[1] = { ...document().steps[1], delay: { days: -1 } };

    expect(issuesOf({ ...document(), steps })[0]?.path).toBe('steps.1.delay.days');
    expect(
      issuesOf({ ...document(), steps: [{ id: 'a', template: 'b', delay: { weeks: 1 } }] })[0]?.path,
    ).toBe('steps.0.delay');
  });

  it('names the field of a skip condition that is invalid', () => {
    const withSkip = (skipIf: unknown) => ({
      ...document(),
      steps: [
        { id: 'a', template: 'b' },
        { id: 'c', template: 'd', skipIf },
      ],
    });

    expect(issuesOf(withSkip({ plan: [] }))[0]?.path).toBe('steps.1.skipIf.plan');
    expect(issuesOf(withSkip({ trait: 'title', exists: true, in: ['CEO'] }))[0]).toEqual({
      path: 'steps.1.skipIf',
      message: 'must have exactly one of between, in, glob, exists',
    });
    expect(issuesOf(withSkip({ script: 'process.exit()' }))[0]).toEqual({
      path: 'steps.1.skipIf',
      message: expect.stringMatching(/must be a condition/),
    });
    expect(issuesOf(withSkip({ any: [{ event: '' }] }))[0]?.path).toBe('steps.1.skipIf.any.0.event');
  });

  it('rejects a skip condition that mixes two kinds rather than ignoring one', () => {
    expect(skipConditionSchema.safeParse({ event: 'Signed Up', plan: ['pro'] }).success).toBe(false);
  });

  it('rejects nesting combinators, so conditions stay one level deep', () => {
    expect(skipConditionSchema.safeParse({ any: [{ not: { plan: ['pro'] } }] }).success).toBe(false);
  });

  it('rejects a match list that is empty rather than matching nobody silently', () => {
    expect(issuesOf({ ...document(), match: { grades: [] } })[0]?.path).toBe('match.grades');
    expect(issuesOf({ ...document(), match: { grade: ['A'] } })[0]?.path).toBe('match');
  });
});

describe('skip conditions', () => {
  const facts = (overrides: Partial<StepFacts> = {}): StepFacts => ({
    traits: { title: 'VP Sales', email: 'ada@example.com', employees: 250 },
    plan: 'Pro',
    events: new Set(['Signed Up', 'Integration Connected']),
    segments: ['midmarket'],
    ...overrides,
  });
  const parse = (condition: unknown) => skipConditionSchema.parse(condition) as SkipCondition;

  it('sends the step when there is no condition', () => {
    expect(skipStep(undefined, facts())).toBe(false);
  });

  it('skips when a trait exists, or is one of the listed values', () => {
    expect(skipStep(parse({ trait: 'title', exists: true }), facts())).toBe(true);
    expect(skipStep(parse({ trait: 'phone', exists: true }), facts())).toBe(false);
    expect(skipStep(parse({ trait: 'title', in: ['vp sales'] }), facts())).toBe(true);
    expect(skipStep(parse({ trait: 'employees', between: [1, 100] }), facts())).toBe(false);
  });

  it('tests derived traits such as seniority', () => {
    expect(skipStep(parse({ trait: 'seniority', in: ['vp', 'executive'] }), facts())).toBe(true);
  });

  it('skips when the customer has already done the event, matching a glob case-insensitively', () => {
    expect(skipStep(parse({ event: 'Integration Connected' }), facts())).toBe(true);
    expect(skipStep(parse({ event: 'integration *' }), facts())).toBe(true);
    expect(skipStep(parse({ event: 'Invited Teammate' }), facts())).toBe(false);
    expect(skipStep(parse({ event: 'Integration Connected' }), facts({ events: new Set() }))).toBe(false);
  });

  it('skips by plan, case-insensitively, and never for a customer without a plan', () => {
    expect(skipStep(parse({ plan: ['enterprise', 'pro'] }), facts())).toBe(true);
    expect(skipStep(parse({ plan: ['enterprise'] }), facts())).toBe(false);
    expect(skipStep(parse({ plan: ['pro'] }), facts({ plan: undefined }))).toBe(false);
  });

  it('skips by segment', () => {
    expect(skipStep(parse({ segment: 'midmarket' }), facts())).toBe(true);
    expect(skipStep(parse({ segment: 'enterprise' }), facts())).toBe(false);
  });

  it('combines conditions with any, all and not', () => {
    const connected = { event: 'Integration Connected' };
    const enterprise = { plan: ['enterprise'] };

    expect(skipStep(parse({ any: [enterprise, connected] }), facts())).toBe(true);
    expect(skipStep(parse({ all: [enterprise, connected] }), facts())).toBe(false);
    expect(skipStep(parse({ all: [{ plan: ['pro'] }, connected] }), facts())).toBe(true);
    expect(skipStep(parse({ not: enterprise }), facts())).toBe(true);
    expect(skipStep(parse({ not: connected }), facts())).toBe(false);
  });
});

describe('exit conditions', () => {
  const sequence = sequenceSchema.parse(document());
  const state = { unsubscribed: false, churned: false, events: ['Signed Up'] };

  it('keeps the enrollment going while nothing has happened', () => {
    expect(exitReason(sequence, state)).toBeNull();
  });

  it('ends on unsubscribe, churn or a goal event', () => {
    expect(exitReason(sequence, { ...state, unsubscribed: true })).toBe('unsubscribed');
    expect(exitReason(sequence, { ...state, churned: true })).toBe('churn');
    expect(exitReason(sequence, { ...state, events: ['Integration Connected'] })).toBe('goal');
  });

  it('ignores churn when the sequence says so, but never an unsubscribe', () => {
    const keepGoing = { ...sequence, exitOn: { ...sequence.exitOn, churn: false } };

    expect(exitReason(keepGoing, { ...state, churned: true })).toBeNull();
    expect(exitReason(keepGoing, { ...state, churned: true, unsubscribed: true })).toBe('unsubscribed');
  });

  it('ends a pre-sale sequence when the person replies, an onboarding one only when it says so', () => {
    const presale = sequenceSchema.parse({ ...document(), start: 'qualified' });

    expect(exitReason(presale, { ...state, replied: true })).toBe('replied');
    expect(exitReason(sequence, { ...state, replied: true })).toBeNull();
    const stopsOnReply = { ...sequence, exitOn: { ...sequence.exitOn, replied: true } };
    expect(exitReason(stopsOnReply, { ...state, replied: true })).toBe('replied');
  });
});

describe('start kinds, categories and survey steps', () => {
  it('starts on a conversion, in the marketing category, unless the document says otherwise', () => {
    const sequence = sequenceSchema.parse(document());

    expect(sequence.start).toEqual({ kind: 'conversion' });
    expect(sequence.steps.map((step) => step.category)).toEqual(['marketing', 'marketing', 'marketing']);
  });

  it('takes each start kind, as a word or an object, and names a bad one', () => {
    for (const [start, parsed] of [
      ['qualified', { kind: 'qualified' }],
      ['first-response', { kind: 'first-response' }],
      [
        { kind: 'qualified', icp: 'saas-midmarket' },
        { kind: 'qualified', icp: 'saas-midmarket' },
      ],
      [
        { kind: 'first-response', form: 'demo-request' },
        { kind: 'first-response', form: 'demo-request' },
      ],
      [
        { kind: 'form', form: 'newsletter' },
        { kind: 'form', form: 'newsletter' },
      ],
      [
        { kind: 'event', event: 'Trial Started' },
        { kind: 'event', event: 'Trial Started' },
      ],
    ] as const)
      expect(sequenceSchema.parse({ ...document(), start }).start).toEqual(parsed);
    for (const start of [
      'signup',
      { kind: 'form' },
      { kind: 'event', event: '' },
      { kind: 'form', form: 'x', y: 1 },
    ])
      expect(issuesOf({ ...document(), start }).some((issue) => issue.path.startsWith('start'))).toBe(true);
  });

  it('matches a trigger only of its own kind, form, event glob and ICP', () => {
    expect(startMatches({ kind: 'form', form: 'newsletter' }, { kind: 'form', form: 'newsletter' })).toBe(
      true,
    );
    expect(startMatches({ kind: 'form', form: 'newsletter' }, { kind: 'form', form: 'demo-request' })).toBe(
      false,
    );
    expect(startMatches({ kind: 'event', event: 'Trial *' }, { kind: 'event', event: 'trial started' })).toBe(
      true,
    );
    expect(startMatches({ kind: 'qualified', icp: 'a' }, { kind: 'qualified', icp: 'b' })).toBe(false);
    expect(startMatches({ kind: 'qualified' }, { kind: 'qualified', icp: 'b' })).toBe(true);
    expect(
      startMatches(
        { kind: 'first-response', form: 'demo-request' },
        { kind: 'first-response', form: undefined },
      ),
    ).toBe(false);
    expect(startMatches({ kind: 'conversion' }, { kind: 'form', form: 'newsletter' })).toBe(false);
  });

  it('takes a survey step instead of a template, never both nor neither', () => {
    const survey = { kind: 'nps', question: 'How likely are you to recommend us?' };
    const sequence = sequenceSchema.parse({
      ...document(),
      steps: [{ id: 'nps', delay: { days: 30 }, category: 'transactional', survey }],
    });

    expect(sequence.steps[0]?.survey).toMatchObject({ ...survey, commentPrompt: expect.any(String) });
    expect(issuesOf({ ...document(), steps: [{ id: 'both', template: 'welcome', survey }] })).toContainEqual(
      expect.objectContaining({
        path: 'steps.0.template',
        message: 'must have either a template or a survey',
      }),
    );
    expect(issuesOf({ ...document(), steps: [{ id: 'neither' }] })).toContainEqual(
      expect.objectContaining({ path: 'steps.0.template' }),
    );
    expect(
      issuesOf({ ...document(), steps: [{ id: 'x', survey: { ...survey, kind: 'ces' } }] }).map(
        (i) => i.path,
      ),
    ).toContain('steps.0.survey.kind');
  });

  it('refuses a transactional step in a pre-sale (qualified) sequence', () => {
    const steps = [{ id: 'welcome', template: 'welcome', category: 'transactional' }];

    expect(issuesOf({ ...document(), start: 'qualified', steps })).toContainEqual(
      expect.objectContaining({ path: 'steps.0.category' }),
    );
    expect(sequenceSchema.safeParse({ ...document(), steps }).success).toBe(true);
  });

  it('knows which categories are left from a step on', () => {
    const sequence = sequenceSchema.parse({
      ...document(),
      steps: [
        { id: 'a', template: 'a', category: 'transactional' },
        { id: 'b', template: 'b', category: 'marketing' },
      ],
    });

    expect([...remainingCategories(sequence, 0)].sort()).toEqual(['marketing', 'transactional']);
    expect([...remainingCategories(sequence, 1)]).toEqual(['marketing']);
  });
});
