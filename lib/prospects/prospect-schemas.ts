import * as z from 'zod';
import { isEmailAddress } from '../text.js';

export const prospectIdSchema = z.string().regex(/^[a-f0-9]{24}$/, 'must be a prospect id');

export const timelineQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export const prospectLookupQuerySchema = timelineQuerySchema.extend({
  email: z.string().max(254).refine(isEmailAddress, 'must be an email address'),
});
