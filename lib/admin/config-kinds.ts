import type * as z from 'zod';
import { formConfigSchema, type SourceConfig, sourceConfigSchema } from '../capture/form-config.js';
import { icpSchema, segmentSchema } from '../scoring/icp.js';
import {
  type ConfigKind,
  putConfig,
  type StoredConfig,
  sourceWriteKeyChanges,
} from '../store/config-store.js';

/** Every kind of configuration and the schema that validates it, wherever it comes from (files, API). */
export const configSchemas = {
  form: formConfigSchema,
  source: sourceConfigSchema,
  icp: icpSchema,
  segment: segmentSchema,
} satisfies Partial<Record<ConfigKind, z.ZodType>>;

export type KnownConfigKind = keyof typeof configSchemas;

export function isKnownConfigKind(kind: string): kind is KnownConfigKind {
  return Object.hasOwn(configSchemas, kind);
}

/** Validates a document of `kind` and stores it as a new version when it changed. */
export async function applyConfig(kind: KnownConfigKind, document: unknown): Promise<StoredConfig<unknown>> {
  const parsed = configSchemas[kind].parse(document) as { id: string };
  if (kind === 'source') {
    const source = parsed as SourceConfig;
    return putConfig<SourceConfig>('source', source.id, source, {
      related: (previous) => sourceWriteKeyChanges(source.id, source.writeKeys, previous?.writeKeys ?? []),
    });
  }
  return putConfig(kind, parsed.id, parsed);
}
