import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyConfig } from '../../lib/configuration/config-kinds.js';
import { isKnownConfigKind } from '../../lib/configuration/config-schemas.js';
import { runRescores } from '../../lib/pipeline/rescore.js';
import { getScoringState } from '../../lib/store/scoring-state.js';

/** Applies every `<dir>/<kind>s/<id>.json` (forms/, sources/, ...) templates before the sequences that name them. */
export async function applyConfigDirectory(
  directory: string,
): Promise<{ kind: string; id: string; version: number }[]> {
  const applied: { kind: string; id: string; version: number }[] = [];
  // Sequences name templates, which must exist when a sequence is stored: templates go first.
  const order = (name: string) => (name === 'templates' ? 0 : name === 'sequences' ? 2 : 1);
  const folders = readdirSync(directory, { withFileTypes: true }).sort(
    (a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name),
  );
  for (const folder of folders) {
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

/**
 * Runs the background rescore until every published ICP version is served, so a stack that just applied its
 * config ranks with it at once instead of at the first scheduled rescore a minute later.
 */
export async function finishRescores(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await getScoringState({ fresh: true });
    if (Object.values(state.icps).every((versions) => versions.building === null)) return;
    await runRescores(() => new Date(), deadline);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('ICP rescoring did not finish within the start-up timeout');
}
