import * as z from 'zod';
import { isEmailAddress } from '../../util/text.js';
import { prospectIdSchema } from '../prospects/prospect-schemas.js';

export const MAX_CONVERSION_BYTES = 16 * 1024;
export const conversionBodySchema = z.object({
  email: z.string().max(254).refine(isEmailAddress, 'must be an email address'),
  /** A prospect already known here; its userId, if any, becomes the conversion's strongest identity. */
  prospectId: prospectIdSchema.optional(),
  plan: z.string().trim().min(1).max(100).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces');
