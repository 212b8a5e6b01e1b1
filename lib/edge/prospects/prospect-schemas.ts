import * as z from 'zod';
import { configIdSchema } from '../../model/config-ids.js';
import { ACTIVITY_KINDS, type Grade } from '../../model/icp.js';
import { isEmailAddress } from '../../util/text.js';

export const prospectIdSchema = z.string().regex(/^[a-f0-9]{24}$/, 'must be a prospect id');

export const timelineQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export const prospectLookupQuerySchema = timelineQuerySchema.extend({
  email: z.string().max(254).refine(isEmailAddress, 'must be an email address'),
});

const GRADE_LIST = /^[ABCD](,[ABCD])*$/;

/** GET /v1/prospects?icp=...: the ranked list. */
export const rankedListQuerySchema = z.object({
  icp: configIdSchema,
  grade: z
    .string()
    .transform((value) => value.toUpperCase().replace(/\s+/g, ''))
    .refine((value) => GRADE_LIST.test(value), 'must be grades A-D separated by commas, e.g. A,B')
    .transform((value) => [...new Set(value.split(','))] as Grade[])
    .optional(),
  segment: configIdSchema.optional(),
  minEngagement: z.coerce.number().finite().min(0).max(1e9).optional(),
  qualified: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(4000).optional(),
  format: z.enum(['json', 'csv']).optional(),
});

export const activityBodySchema = z.object({
  type: z.enum(ACTIVITY_KINDS),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  note: z.string().max(4000).optional(),
  outcome: z.string().max(200).optional(),
  /** The caller's own id for this activity: sending it again records nothing new. */
  activityId: z.string().min(1).max(200).optional(),
});

export const consentBodySchema = z.object({
  marketing: z
    .boolean()
    .refine(
      (marketing) => marketing === false,
      'can only be false here: consent is given on a form, which records its proof (form, version, text, time)',
    )
    .describe('false withdraws marketing consent and ends every onboarding sequence'),
});

const counts = z.object({
  touchpoints: z.number().int(),
  scores: z.number().int(),
  rankingEntries: z.number().int(),
  enrollments: z.number().int(),
  sendRecords: z.number().int(),
  aliases: z.number().int(),
  dedupMarkers: z.number().int(),
  mergedProfiles: z.number().int(),
  otherItems: z.number().int(),
});

/** The answer's shape, for the OpenAPI document and for this handler to be held to. */
export const erasureResponseSchema = z.object({
  prospectId: z.string(),
  status: z.enum(['erased', 'already-erased']),
  erasedAt: z.iso.datetime(),
  erased: counts,
  kept: z.object({
    tombstone: z.object({ prospectIdHash: z.string(), erasedAt: z.iso.datetime(), erasedBy: z.string() }),
    suppression: z.enum(['unsubscribe', 'complaint']).nullable(),
    note: z.string(),
  }),
});
