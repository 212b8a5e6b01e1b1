/**
 * Onboarding sequence configuration (DESIGN.md §6) and the skip-if condition language of its steps.
 *
 * Decisions:
 * - `priority`: lower numbers are tried first; ties go to the lower id (see choose-sequence.ts).
 * - `match`: every part present must hold; an empty match fits every customer (a catch-all, given a high
 *   priority number). `grades` asks for one of those grades on any listed ICP, or on any ICP when `icps`
 *   is absent; `icps` alone asks for a grade (any) on one of them.
 * - `delay`: fixed durations (a day is 24 h), counted from enrollment for the first step and from the
 *   moment the previous step was sent or skipped for later ones, so a send pushed back by the window does
 *   not bunch the following emails together. The send window then places the due time in the customer's
 *   local hours.
 * - `sendWindow`: `from` inclusive, `to` exclusive (`24:00` = until midnight), in one local day. Windows
 *   that cross midnight are rejected: with `days` they are ambiguous (does Friday 22:00-02:00 allow
 *   Saturday 01:00?).
 * - `exitOn.unsubscribed` cannot be turned off; `churn` defaults to true.
 * - Skip-if conditions are data, not code: trait tests (the ICP rule language), an event already seen
 *   (glob), a plan, a segment, and one level of `any` / `all` / `not`. No regular expressions, no eval.
 * - A step is an email (`template`) or a survey (`survey`), never both. Its `category` is `transactional` (what a
 *   customer needs to use what they bought: sent without marketing consent) or `marketing` (the default, as it
 *   needs consent: a step nobody classified is treated as the stricter kind).
 * - `start` defaults to `conversion`, as every sequence started before start kinds existed. A pre-sale sequence
 *   (`qualified`) is marketing by definition: its steps may not be transactional.
 */
import * as z from 'zod';
import { configIdSchema, mailboxSchema } from '../model/config-ids.js';
import { GRADES, RULE_TRAITS } from '../model/icp.js';
import { isTimeZone, type Traits } from '../model/traits.js';
import { ruleTraits } from '../scoring/derived-traits.js';
import { conditionHolds } from '../scoring/fit.js';
import { globMatch } from '../scoring/glob.js';
import { startSchema } from './sequence-start.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const unique = <T>(values: readonly T[]) => new Set(values).size === values.length;
const uniqueIds = (items: readonly { id: string }[]) => unique(items.map((item) => item.id));

/** Track event names, or globs over them (`*`, `?`; case-insensitive). */
const eventPatternSchema = z.string().min(1).max(200);
const planSchema = z.string().min(1).max(100);

const exactlyOneTest = (rule: { between?: unknown; in?: unknown; glob?: unknown; exists?: unknown }) =>
  [rule.between, rule.in, rule.glob, rule.exists].filter((value) => value !== undefined).length === 1;

const traitTestSchema = z
  .strictObject({
    trait: z.enum(RULE_TRAITS),
    between: z.tuple([z.number(), z.number()]).optional(),
    in: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
    glob: z.string().min(1).max(200).optional(),
    exists: z.boolean().optional(),
  })
  .refine(exactlyOneTest, 'must have exactly one of between, in, glob, exists');

const leafConditionSchema = z.union(
  [
    traitTestSchema,
    /** The customer has already done it (any seen event matches the glob). */
    z.strictObject({ event: eventPatternSchema }),
    z.strictObject({ plan: z.array(planSchema).min(1).max(20) }),
    z.strictObject({ segment: configIdSchema }),
  ],
  { error: 'must be one of {trait, exists|in|glob|between}, {event}, {plan}, {segment}' },
);
export type LeafCondition = z.infer<typeof leafConditionSchema>;

export const skipConditionSchema = z.union(
  [
    leafConditionSchema,
    z.strictObject({ any: z.array(leafConditionSchema).min(1).max(10) }),
    z.strictObject({ all: z.array(leafConditionSchema).min(1).max(10) }),
    z.strictObject({ not: leafConditionSchema }),
  ],
  { error: 'must be a condition ({trait}, {event}, {plan}, {segment}) or {any}, {all}, {not} of conditions' },
);
export type SkipCondition = z.infer<typeof skipConditionSchema>;

const count = (max: number) => z.number().int().min(0).max(max).default(0);

export const delaySchema = z
  .strictObject({ days: count(365), hours: count(24 * 365), minutes: count(60 * 24 * 365) })
  .refine(
    (delay) => delayMs(delay) <= 365 * 86_400_000,
    'must be at most 365 days in total (an onboarding email a year late is not onboarding)',
  );
export type Delay = z.infer<typeof delaySchema>;

export function delayMs(delay: { days?: number; hours?: number; minutes?: number }): number {
  return ((delay.days ?? 0) * 24 * 60 + (delay.hours ?? 0) * 60 + (delay.minutes ?? 0)) * 60_000;
}

export const MESSAGE_CATEGORIES = ['transactional', 'marketing'] as const;
export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number];

export const SURVEY_KINDS = ['nps', 'csat'] as const;
export type SurveyKind = (typeof SURVEY_KINDS)[number];

/** The answers a survey offers: NPS 0-10, CSAT 1-5. */
export const SURVEY_SCALES: Record<SurveyKind, { min: number; max: number }> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
};

export const surveySchema = z.strictObject({
  kind: z.enum(SURVEY_KINDS),
  /** "How likely are you to recommend Example to a colleague?" */
  question: z.string().trim().min(1).max(300),
  /** Shown above the optional comment box on the answer page. */
  commentPrompt: z.string().trim().min(1).max(300).default('Anything you would like to tell us?'),
  /** The email's subject; the question when absent. */
  subject: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\r\n]*$/, 'must be one line')
    .optional(),
});
export type Survey = z.infer<typeof surveySchema>;

export const stepSchema = z
  .strictObject({
    id: configIdSchema,
    delay: delaySchema.default({ days: 0, hours: 0, minutes: 0 }),
    /** A template id; templates are their own config kind. */
    template: configIdSchema.optional(),
    /** A survey instead of a template: the email asks the question with one signed link per answer. */
    survey: surveySchema.optional(),
    category: z.enum(MESSAGE_CATEGORIES).default('marketing'),
    skipIf: skipConditionSchema.optional(),
  })
  .refine((step) => (step.template === undefined) !== (step.survey === undefined), {
    message: 'must have either a template or a survey',
    path: ['template'],
  });
export type Step = z.infer<typeof stepSchema>;

const timeOfDay = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const isTimeOfDay = (value: string, orMidnight: boolean) =>
  timeOfDay.test(value) || (orMidnight && value === '24:00');

export const sendWindowSchema = z
  .strictObject({
    /** Used when the customer has no valid `timezone` trait of their own. */
    timezone: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .default('UTC'),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7).refine(unique, 'days must be unique'),
    from: z.string().refine((value) => isTimeOfDay(value, false), 'must be HH:MM between 00:00 and 23:59'),
    to: z.string().refine((value) => isTimeOfDay(value, true), 'must be HH:MM, or 24:00 for midnight'),
  })
  .refine(
    // Zod still runs this when a time failed its format; that time has its own issue already.
    (window) =>
      !isTimeOfDay(window.from, false) ||
      !isTimeOfDay(window.to, true) ||
      minutesOfDay(window.from) < minutesOfDay(window.to),
    {
      message: 'must be later than from (windows that cross midnight are not supported)',
      path: ['to'],
    },
  );
export type SendWindow = z.infer<typeof sendWindowSchema>;

/** `HH:MM` as minutes after midnight. */
export function minutesOfDay(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

export const expectationSchema = z.strictObject({
  id: configIdSchema,
  /** What the customer is told, e.g. "A specialist replies within 1 business day". */
  text: z.string().min(1).max(500),
  kind: z.literal('first-response'),
  within: z.union(
    [
      z.strictObject({ businessDays: z.number().int().min(1).max(30) }),
      z.strictObject({
        hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30),
      }),
    ],
    { error: 'must be {businessDays} or {hours}' },
  ),
});
export type Expectation = z.infer<typeof expectationSchema>;

export const exitOnSchema = z.strictObject({
  unsubscribed: z
    .literal(true, { error: 'cannot be turned off: unsubscribing always ends a sequence' })
    .default(true),
  /** Reaching the goal (e.g. `Integration Connected`) makes the rest of the sequence pointless. */
  goalEvents: z.array(eventPatternSchema).max(20).default([]),
  churn: z.boolean().default(true),
  /** A reply to one of the sequence's emails ends it; by default only a pre-sale (`qualified`) sequence. */
  replied: z.boolean().optional(),
});
export type ExitOn = z.infer<typeof exitOnSchema>;

export const sequenceMatchSchema = z.strictObject({
  icps: z.array(configIdSchema).min(1).max(50).refine(unique, 'icps must be unique').optional(),
  grades: z.array(z.enum(GRADES)).min(1).max(4).refine(unique, 'grades must be unique').optional(),
  /** Any of these segments. */
  segments: z.array(configIdSchema).min(1).max(50).refine(unique, 'segments must be unique').optional(),
  /** Any of these plans (case-insensitive). */
  plans: z.array(planSchema).min(1).max(50).optional(),
});
export type SequenceMatch = z.infer<typeof sequenceMatchSchema>;

export const sequenceSchema = z
  .strictObject({
    id: configIdSchema,
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    /** What enrolls a person: a conversion (the default), a qualification, a first response, a form, an event. */
    start: startSchema.default({ kind: 'conversion' }),
    /** Lower numbers are tried first. */
    priority: z.number().int().min(0).max(1_000_000),
    match: sequenceMatchSchema.default({}),
    steps: z.array(stepSchema).min(1).max(20).refine(uniqueIds, 'step ids must be unique'),
    exitOn: exitOnSchema.default({ unsubscribed: true, goalEvents: [], churn: true }),
    sendWindow: sendWindowSchema,
    expectations: z
      .array(expectationSchema)
      .max(10)
      .refine(uniqueIds, 'expectation ids must be unique')
      .default([]),
    /** The sender (a verified identity, MAIL_IDENTITIES); MAIL_FROM when absent. */
    from: mailboxSchema.optional(),
    /** Where replies should reach a person (a verified identity), beside the signed address that records them. */
    replyTo: mailboxSchema.optional(),
  })
  .superRefine((sequence, ctx) => {
    if (sequence.start.kind !== 'qualified') return;
    for (const [index, step] of sequence.steps.entries())
      if (step.category === 'transactional')
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'category'],
          message: 'must be marketing: a sequence that starts on qualification is pre-sale nurture',
        });
  });
export type Sequence = z.infer<typeof sequenceSchema>;

/** Whether a person replying ends the sequence: pre-sale sequences stop on a reply (a person answers now). */
export function exitsOnReply(sequence: Pick<Sequence, 'exitOn' | 'start'>): boolean {
  return sequence.exitOn.replied ?? sequence.start.kind === 'qualified';
}

/** What is known about the customer when a step falls due. */
export type StepFacts = {
  traits: Traits;
  plan?: string | undefined;
  /** Names of the track events the customer has done. */
  events: ReadonlySet<string>;
  segments: readonly string[];
};

/** Whether a step should be skipped; no condition means it is sent. */
export function skipStep(condition: SkipCondition | undefined, facts: StepFacts): boolean {
  if (condition === undefined) return false;
  if ('any' in condition) return condition.any.some((leaf) => leafHolds(leaf, facts));
  if ('all' in condition) return condition.all.every((leaf) => leafHolds(leaf, facts));
  if ('not' in condition) return !leafHolds(condition.not, facts);
  return leafHolds(condition, facts);
}

function leafHolds(condition: LeafCondition, facts: StepFacts): boolean {
  if ('trait' in condition) return conditionHolds(condition, ruleTraits(facts.traits));
  if ('event' in condition) return hasDone(facts.events, condition.event);
  if ('plan' in condition) return planIn(facts.plan, condition.plan);
  return facts.segments.includes(condition.segment);
}

export function hasDone(events: ReadonlySet<string> | readonly string[], pattern: string): boolean {
  for (const event of events) if (globMatch(pattern, event)) return true;
  return false;
}

export function planIn(plan: string | undefined, plans: readonly string[]): boolean {
  if (plan === undefined) return false;
  const wanted = plan.toLowerCase();
  return plans.some((candidate) => candidate.toLowerCase() === wanted);
}

export type ExitReason = 'unsubscribed' | 'goal' | 'churn' | 'replied';

/** Why an enrollment must end now, if it must. */
export function exitReason(
  sequence: Pick<Sequence, 'exitOn' | 'start'>,
  state: {
    unsubscribed: boolean;
    churned: boolean;
    replied?: boolean;
    events: ReadonlySet<string> | readonly string[];
  },
): ExitReason | null {
  const { exitOn } = sequence;
  if (state.unsubscribed) return 'unsubscribed';
  if (exitOn.churn && state.churned) return 'churn';
  if (exitOn.goalEvents.some((pattern) => hasDone(state.events, pattern))) return 'goal';
  if (state.replied && exitsOnReply(sequence)) return 'replied';
  return null;
}

/** The categories of the steps still to come, from `stepIndex` on. */
export function remainingCategories(
  sequence: Pick<Sequence, 'steps'>,
  stepIndex: number,
): Set<MessageCategory> {
  return new Set(sequence.steps.slice(stepIndex).map((step) => step.category));
}
