import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyConfig, isKnownConfigKind } from '../../lib/admin/config-kinds.js';

/** Applies every `<dir>/<kind>s/<id>.json` (forms/, sources/, ...) in dependency-free order. */
export async function applyConfigDirectory(
  directory: string,
): Promise<{ kind: string; id: string; version: number }[]> {
  const applied: { kind: string; id: string; version: number }[] = [];
  for (const folder of readdirSync(directory, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    const kind = folder.name.replace(/s$/, '');
    if (!isKnownConfigKind(kind)) throw new Error(`Unknown config folder ${folder.name} in ${directory}`);
    for (const file of readdirSync(join(directory, folder.name))
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      const document = JSON.parse(readFileSync(join(directory, folder.name, file), 'utf8'));
      const stored = await applyConfig(kind, document);
      applied.push({ kind, id: stored.id, version: stored.version });
    }
  }
  return applied;
}
