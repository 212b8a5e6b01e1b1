import type * as z from 'zod';
import type { SourceConfig } from '../capture/form-config.js';
import { InvalidInputError, parseOrThrow } from '../model/errors.js';
import { sequenceErrors, templateErrors } from '../onboarding/onboarding-config.js';
import type { Sequence } from '../onboarding/sequence.js';
import type { Template } from '../onboarding/template.js';
import { publishIcpVersion } from '../pipeline/rescore.js';
import { listConfigIds, putConfig, type StoredConfig, sourceWriteKeyChanges } from '../store/config-store.js';
import { configSchemas, type KnownConfigKind } from './config-schemas.js';

/** Validates a document of `kind`: the typed document, or a 400 naming each bad field. */
export function validateConfig(kind: KnownConfigKind, document: unknown): { id: string } {
  return parseOrThrow(configSchemas[kind] as z.ZodType, document) as { id: string };
}

/**
 * Validates a document of `kind` and stores it as a new version when it changed. A new ICP version is
 * published for a background rescore; readers keep the served version until that is done.
 */
export async function applyConfig(
  kind: KnownConfigKind,
  document: unknown,
  now = new Date(),
): Promise<StoredConfig<unknown>> {
  const parsed = validateConfig(kind, document);
  if (kind === 'source') {
    const source = parsed as SourceConfig;
    return putConfig<SourceConfig>('source', source.id, source, {
      related: (previous) => sourceWriteKeyChanges(source.id, source.writeKeys, previous?.writeKeys ?? []),
    });
  }
  // Cross-references are checked when stored, so a sequence or template that cannot render never reaches dispatch.
  if (kind === 'template') {
    const errors = templateErrors(parsed as Template);
    if (errors.length) throw new InvalidInputError(errors);
  }
  if (kind === 'sequence') {
    const errors = await sequenceErrors(parsed as Sequence);
    if (errors.length) throw new InvalidInputError(errors);
  }
  if (kind === 'icp' || kind === 'segment') await checkCapacity(kind, parsed.id);
  const stored = await putConfig(kind, parsed.id, parsed, { now });
  if (kind === 'icp') await publishIcpVersion(stored.id, stored.version, now);
  return stored;
}

/**
 * Every touchpoint is applied to every ICP version (served and building), with its ranking entries and its
 * experience counters (one per ICP, segment and form group), in ONE transaction, so it counts exactly once; and
 * a DynamoDB transaction holds at most 100 items. These limits keep the largest such transaction (every ICP
 * rebuilding, a prospect in every segment) under 100 items.
 */
export const MAX_ICPS = 4;
export const MAX_SEGMENTS = 6;

async function checkCapacity(kind: 'icp' | 'segment', id: string): Promise<void> {
  const limit = kind === 'icp' ? MAX_ICPS : MAX_SEGMENTS;
  const existing = await listConfigIds(kind);
  if (existing.some((item) => item.id === id) || existing.length < limit) return;
  throw new InvalidInputError([
    {
      field: 'id',
      message: `at most ${limit} ${kind === 'icp' ? 'ICPs' : 'segments'} can be defined (one transaction per touchpoint must stay within DynamoDB's 100 items)`,
    },
  ]);
}
