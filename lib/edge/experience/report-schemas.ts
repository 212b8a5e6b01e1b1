import * as z from 'zod';
import { configIdSchema } from '../../model/config-ids.js';

/** A year and a leap day: a year-on-year comparison fits, an accidental ten-year report does not. */
export const MAX_REPORT_DAYS = 366;

const dayOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO 8601 date (2025-03-01) or date-time',
});

/** GET /v1/experience: one ICP's experience figures per group, over whole UTC days. */
export const experienceQuerySchema = z.object({
  icp: configIdSchema,
  from: dayOrTime,
  to: dayOrTime,
  groupBy: z.enum(['grade', 'segment', 'form', 'sequence']).default('grade'),
  format: z.enum(['json', 'csv']).optional(),
});
