import * as z from 'zod';

export const MAX_SURVEY_BODY_BYTES = 8 * 1024;

export const surveyQuerySchema = z.object({
  token: z.string().min(1).max(300).describe('The signed token of the answer link in the survey email'),
});

/** POST /v1/survey: the answer page's form (urlencoded) or the same fields as JSON. */
export const surveyAnswerBodySchema = z.object({
  answer: z.coerce
    .number()
    .int('must be a whole number')
    .optional()
    .describe("The answer (NPS 0-10, CSAT 1-5); the link's own answer when absent"),
  comment: z.string().max(2000).optional().describe('An optional comment, at most 2,000 characters'),
});
