import * as z from 'zod';
import { configIdSchema } from '../../model/config-ids.js';
import type { Grade } from '../../model/icp.js';
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
