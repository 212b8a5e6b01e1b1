import * as z from 'zod';
import { configIdSchema } from './config-ids.js';
import { TRAIT_NAMES } from './traits.js';

/** Traits a rule may test: the profile's own, plus those derived from them (see derived-traits.ts). */
export const RULE_TRAITS = [...TRAIT_NAMES, 'domain', 'seniority', 'emailType'] as const;
export type RuleTrait = (typeof RULE_TRAITS)[number];

const condition = {
  /** Inclusive numeric range. */
  between: z.tuple([z.number(), z.number()]).optional(),
  /** Case-insensitive equality with any of these. */
  in: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
  /** `*` and `?` glob, case-insensitive (no regular expressions: they can be made to run for ever). */
  glob: z.string().min(1).max(200).optional(),
  exists: z.boolean().optional(),
};

const exactlyOneCondition = (rule: { between?: unknown; in?: unknown; glob?: unknown; exists?: unknown }) =>
  [rule.between, rule.in, rule.glob, rule.exists].filter((value) => value !== undefined).length === 1;
const oneConditionMessage = 'must have exactly one of between, in, glob, exists';

export const traitConditionSchema = z
  .object({ trait: z.enum(RULE_TRAITS), ...condition })
  .refine(exactlyOneCondition, oneConditionMessage);
export type TraitCondition = z.infer<typeof traitConditionSchema>;

const points = z.number().int().min(-1000).max(1000);
const reason = z.string().min(1).max(200);

export const fitRuleSchema = z
  .object({ id: configIdSchema, trait: z.enum(RULE_TRAITS), ...condition, points, reason })
  .refine(exactlyOneCondition, oneConditionMessage);
export type FitRule = z.infer<typeof fitRuleSchema>;

export const disqualifierSchema = z
  .object({ id: configIdSchema, trait: z.enum(RULE_TRAITS), ...condition, reason })
  .refine(exactlyOneCondition, oneConditionMessage);

export const ACTIVITY_KINDS = ['call', 'meeting', 'email-reply', 'note'] as const;

export const engagementMatchSchema = z
  .object({
    /** `survey` matches any touchpoint with an answer; `email-reply` a reply to one of our emails. */
    type: z
      .enum(['form', 'page', 'track', 'identify', 'screen', 'group', 'activity', 'survey', 'email-reply'])
      .optional(),
    /** Form id, for type form. */
    form: configIdSchema.optional(),
    /** Page path glob, e.g. `/pricing*`. */
    path: z.string().min(1).max(500).optional(),
    /** Event name glob, for track events. */
    event: z.string().min(1).max(200).optional(),
    /** Property equality, e.g. `{ "plan": "pro" }`. */
    properties: z
      .record(z.string().max(128), z.union([z.string().max(500), z.number(), z.boolean()]))
      .optional(),
    activity: z.enum(ACTIVITY_KINDS).optional(),
    /** Survey answers from forms or track events: NPS 0-10, CSAT 1-5. */
    survey: z
      .object({ kind: z.enum(['nps', 'csat']), between: z.tuple([z.number(), z.number()]) })
      .optional(),
  })
  .refine((match) => Object.keys(match).length > 0, 'must test at least one thing');

export const engagementRuleSchema = z.object({
  id: configIdSchema,
  match: engagementMatchSchema,
  points,
  reason,
  /** At most this many touchpoints a day earn points from this rule (bots, refresh storms). */
  capPerDay: z.number().int().min(1).max(1000).optional(),
});
export type EngagementRule = z.infer<typeof engagementRuleSchema>;

export const GRADES = ['A', 'B', 'C', 'D'] as const;
export type Grade = (typeof GRADES)[number];

const uniqueIds = (rules: { id: string }[]) => new Set(rules.map((rule) => rule.id)).size === rules.length;

export const icpSchema = z
  .object({
    id: configIdSchema,
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    halfLifeDays: z.number().min(0.5).max(365),
    /** Ranking partitions: each takes ~1,000 writes/s, so a hot ICP spreads over several; pages merge them. */
    rankShards: z.number().int().min(1).max(64).default(4),
    fit: z.object({
      rules: z.array(fitRuleSchema).max(50).refine(uniqueIds, 'rule ids must be unique'),
      disqualifiers: z.array(disqualifierSchema).max(20).default([]),
      /** Minimum fit points per grade; below C is D. */
      grades: z
        .object({ A: z.number(), B: z.number(), C: z.number() })
        .refine((g) => g.A >= g.B && g.B >= g.C, 'A >= B >= C'),
      competitorDomains: z.array(z.string().min(3).max(253)).max(500).default([]),
    }),
    engagement: z.object({
      rules: z.array(engagementRuleSchema).max(50).refine(uniqueIds, 'rule ids must be unique'),
    }),
    qualification: z
      .object({
        /** Engagement at or above which a prospect of an allowed grade becomes qualified... */
        qualifyAt: z.number().positive(),
        /** ...and below which it is no longer (hysteresis: dropAt < qualifyAt, so it never flaps). */
        dropAt: z.number().positive(),
        grades: z.array(z.enum(GRADES)).min(1).default(['A', 'B']),
      })
      .refine((q) => q.dropAt < q.qualifyAt, { message: 'dropAt must be below qualifyAt', path: ['dropAt'] }),
  })
  .superRefine((icp, ctx) => {
    const fitIds = new Set(icp.fit.rules.map((rule) => rule.id));
    for (const rule of icp.engagement.rules) {
      if (fitIds.has(rule.id))
        ctx.addIssue({
          code: 'custom',
          path: ['engagement', 'rules'],
          message: `rule id ${rule.id} is also a fit rule id`,
        });
    }
  });

export type Icp = z.infer<typeof icpSchema>;

export const segmentSchema = z.object({
  id: configIdSchema,
  name: z.string().min(1).max(200),
  /** `all`: every condition holds; `any`: at least one. */
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(traitConditionSchema).min(1).max(20),
});

export type SegmentDefinition = z.infer<typeof segmentSchema>;
