import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/local/service-definition.js';

const run = promisify(execFile);
const depcruise = join(projectRoot, 'node_modules/.bin/depcruise');

/** `npm run lint`'s layer check on a tree: its exit code and what it printed. */
async function checkLayers(root: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['lib', 'functions', '--config', '.dependency-cruiser.cjs'], {
      cwd: root,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? 1, output: failed.stdout ?? '' };
  }
}

const copies: string[] = [];

/** A copy of lib/ and functions/ with extra modules, so deliberate violations never touch the real tree. */
function treeWith(modules: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  copies.push(root);
  for (const entry of ['lib', 'functions', '.dependency-cruiser.cjs', 'tsconfig.json'])
    cpSync(join(projectRoot, entry), join(root, entry), { recursive: true });
  for (const [path, source] of Object.entries(modules)) writeFileSync(join(root, path), source);
  return root;
}

afterAll(() => {
  for (const root of copies) rmSync(root, { recursive: true, force: true });
});

describe('the layer check of npm run lint', () => {
  it('finds no violation in the tree as it is', async () => {
    const result = await checkLayers(projectRoot);
    expect(result.output).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });

  it('fails on an upward import from the store or the domain, and on a cycle between domain folders', async () => {
    const root = treeWith({
      'lib/store/upward.ts':
        "import { notFound } from '../edge/http/errors.js';\nexport const upward = notFound;\n",
      'lib/scoring/upward.ts':
        "import { json } from '../edge/http/response.js';\nexport const upward = json;\n",
      // ranking already imports scoring; scoring importing ranking closes a folder cycle.
      'lib/scoring/cycle.ts':
        "import { rankEntryFor } from '../ranking/rank-entry.js';\nexport const cycle = rankEntryFor;\n",
    });
    const result = await checkLayers(root);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('store-imports-only-store-model-util: lib/store/upward.ts');
    expect(result.output).toContain('domain-does-not-import-edge: lib/scoring/upward.ts');
    expect(result.output).toMatch(/no-folder-cycles: lib\/(scoring|ranking)/);
  });
});

describe('the OpenAPI bundle check of npm run lint', () => {
  it('fails when the OpenAPI document reaches an endpoint or the store, even through a schema module', async () => {
    const root = treeWith({
      'lib/edge/prospects/leaky-schemas.ts':
        "import { getProfile } from '../../store/profiles.js';\nexport const leaky = getProfile;\n",
      'lib/edge/openapi/leak.ts':
        "import { leaky } from '../prospects/leaky-schemas.js';\nimport { handleConsent } from '../prospects/consent-endpoint.js';\nexport const leak = [leaky, handleConsent];\n",
    });
    const result = await checkLayers(root);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('openapi-reaches-no-store-or-endpoint: lib/edge/openapi/leak.ts');
    expect(result.output).toContain(
      'route-schemas-import-only-schemas-model-util: lib/edge/prospects/leaky-schemas.ts',
    );
  });
});
