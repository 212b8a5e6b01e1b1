import type * as z from 'zod';
import { formConfigSchema, sourceConfigSchema } from '../capture/form-config.js';
import type { ConfigKind } from '../model/config-ids.js';
import { icpSchema, segmentSchema } from '../model/icp.js';
import { senderSchema } from '../onboarding/sender.js';
import { sequenceSchema } from '../onboarding/sequence.js';
import { templateSchema } from '../onboarding/template.js';

/** Every kind of configuration and the schema that validates it, wherever it comes from (files, API). */
export const configSchemas = {
  form: formConfigSchema,
  source: sourceConfigSchema,
  icp: icpSchema,
  segment: segmentSchema,
  sequence: sequenceSchema,
  template: templateSchema,
  sender: senderSchema,
} satisfies Partial<Record<ConfigKind, z.ZodType>>;

export type KnownConfigKind = keyof typeof configSchemas;

export function isKnownConfigKind(kind: string): kind is KnownConfigKind {
  return Object.hasOwn(configSchemas, kind);
}
