import * as z from 'zod';
import { configIdSchema, originPatternSchema } from '../model/config-ids.js';
import { TRAIT_NAMES, type TraitName } from '../model/traits.js';

/** Forms are small; anything larger is a mistake or an attack, refused before parsing. */
export const MAX_FORM_BYTES = 64 * 1024;

const fieldNameSchema = z.string().min(1).max(128);

export const formConfigSchema = z
  .object({
    id: configIdSchema,
    name: z.string().min(1).max(200),
    /** Trait -> name of the form field that carries it. Fields not mapped are kept as properties. */
    fields: z.partialRecord(z.enum(TRAIT_NAMES), fieldNameSchema).default({ email: 'email' }),
    required: z.array(z.enum(TRAIT_NAMES)).default(['email']),
    consent: z
      .object({
        field: fieldNameSchema,
        text: z.string().min(1).max(2000),
        version: z.string().min(1).max(64),
        required: z.boolean().default(false),
      })
      .optional(),
    allowedOrigins: z.array(originPatternSchema).min(1),
    thankYouUrl: z.url(),
    honeypotField: fieldNameSchema.default('_hp'),
    /** Posts arriving sooner than this after the form was rendered (`_ts`) are treated as bots. */
    minSecondsToSubmit: z.number().min(0).max(600).default(2),
    /** Surveys: fields holding NPS (0-10) or CSAT (1-5) answers. */
    survey: z
      .object({ npsField: fieldNameSchema.optional(), csatField: fieldNameSchema.optional() })
      .optional(),
  })
  .superRefine((form, ctx) => {
    for (const trait of form.required) {
      if (!form.fields[trait]) {
        ctx.addIssue({
          code: 'custom',
          path: ['required'],
          message: `${trait} is required but has no field mapping`,
        });
      }
    }
  });

export type FormConfig = z.infer<typeof formConfigSchema>;

export const sourceConfigSchema = z.object({
  id: configIdSchema,
  name: z.string().min(1).max(200),
  /** Write keys as given (only their SHA-256 is stored in the lookup item). Several during rotation. */
  writeKeys: z.array(z.string().min(8).max(200)).min(1),
});

export type SourceConfig = z.infer<typeof sourceConfigSchema>;

export function originAllowed(origin: string, patterns: readonly string[]): boolean {
  const normalised = origin.toLowerCase();
  return patterns.some((pattern) => {
    const lower = pattern.toLowerCase();
    if (!lower.endsWith(':*')) return lower === normalised;
    const prefix = lower.slice(0, -1);
    return normalised.startsWith(prefix) && /^\d{1,5}$/.test(normalised.slice(prefix.length));
  });
}

export type MappedTrait = TraitName;
