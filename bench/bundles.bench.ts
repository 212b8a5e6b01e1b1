/**
 * Per function: the size of what `npm run package` ships, and the cold init of that very bundle, imported in a
 * fresh `node` process.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { functionDefinitions } from '../scripts/local/service-definition.js';
import { type Benchmark, median, round } from './lib.js';

const COLD_RUNS = 5;
const TARGET_KB = 250;
const TARGET_INIT_MS = 150;

function runOrThrow(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`,
    );
  return result.stdout;
}

/** Time to import the module in a fresh process: what a Lambda cold start spends in the handler's init. */
function coldImportMs(file: string, cwd: string): number {
  const script = `const started = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - started));`;
  const output = runOrThrow(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'prospect-scoring-bench',
      STAGE: 'local',
      LOG_LEVEL: 'silent',
    },
  });
  return Number(output);
}

export const benchmark: Benchmark = {
  id: 'bundles',
  title: 'Functions: bundle size and cold init',
  run: async ({ projectRoot, progress }) => {
    progress('npm run package (serverless package --stage dev)');
    runOrThrow(join(projectRoot, 'node_modules/.bin/serverless'), ['package', '--stage', 'dev'], {
      cwd: projectRoot,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    // Unzipped inside the project, so that the bundles' `@aws-sdk/*` imports (left out of the zips because the
    // Lambda runtime provides them) resolve from node_modules as they would from the runtime.
    const unzipped = join(projectRoot, '.serverless/bench-unzipped');
    rmSync(unzipped, { recursive: true, force: true });
    const rows: Record<string, string | number>[] = [];
    for (const [name, definition] of Object.entries(functionDefinitions())) {
      const zip = join(projectRoot, '.serverless', `${name}.zip`);
      const target = join(unzipped, name);
      mkdirSync(target, { recursive: true });
      runOrThrow('unzip', ['-q', '-o', zip, '-d', target], { cwd: projectRoot });
      const handlerFile = join(
        target,
        `${definition.handler.slice(0, definition.handler.lastIndexOf('.'))}.mjs`,
      );
      const mjsBytes = readdirSync(target, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.mjs'))
        .reduce((sum, file) => sum + statSync(join(target, file)).size, 0);
      progress(`${name}: cold import ×${COLD_RUNS}`);
      const times = Array.from({ length: COLD_RUNS }, () => coldImportMs(handlerFile, target));
      const zipKb = statSync(zip).size / 1024;
      const initMs = median(times);
      rows.push({
        function: name,
        'zip KB': round(zipKb, 1),
        '.mjs KB': round(mjsBytes / 1024, 1),
        [`cold import ms (median of ${COLD_RUNS})`]: round(initMs, 1),
        'min–max ms': `${round(Math.min(...times), 1)}–${round(Math.max(...times), 1)}`,
        [`≤ ${TARGET_KB} KB zip, ≤ ${TARGET_INIT_MS} ms`]:
          zipKb <= TARGET_KB && initMs <= TARGET_INIT_MS ? 'yes' : 'no',
      });
    }
    rmSync(unzipped, { recursive: true, force: true });
    return [
      {
        title: 'Bundles from `npm run package`, imported cold',
        rows,
        notes: `Sizes are \`.serverless/<function>.zip\` and the unzipped \`.mjs\` (esbuild, minified ESM, no source maps).
Cold import is the time \`await import()\` of the unzipped handler takes in a fresh \`node\` (${process.version}) process,
median of ${COLD_RUNS}: module evaluation, including \`lib/config.ts\` parsing the environment and the SDK clients
being constructed, but not the Lambda runtime's own start. The bundles leave \`@aws-sdk/*\` out (the nodejs22.x
runtime provides it), so for this measurement the SDK resolves from the project's \`node_modules\` (the zips are
unzipped under \`.serverless/\` for that); its load time is part of the figure, as it is of a real cold start.
Targets: ${TARGET_KB} KB per zip, ${TARGET_INIT_MS} ms cold import.`,
      },
    ];
  },
};
