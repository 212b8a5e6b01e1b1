/**
 * `npm run bench [-- <id>...]`: runs the benchmark modules bench/*.bench.ts (all, or those named), prints their
 * tables, and rewrites their blocks of docs/PERFORMANCE.md. Starts its own DynamoDB Local, with a fresh table
 * and config/example applied, before any module is imported.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DynamoDbLocal, startDynamoDbLocal } from '../scripts/local/dynamodb-local.js';
import { projectRoot } from '../scripts/local/service-definition.js';
import { type Benchmark, type BenchTable, machineFacts, markdownTable, writeDocBlock } from './lib.js';

const benchDir = join(projectRoot, 'bench');
const requested = process.argv.slice(2);
const available = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();
const unknown = requested.filter((id) => !available.includes(id));
if (unknown.length) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
const selected = requested.length ? requested : available;

let dynamoDbLocal: DynamoDbLocal | undefined;
const progress = (message: string) => process.stderr.write(`  ${message}\n`);

async function main() {
  // Benchmarks measure work, not logging; and a warm Lambda keeps config cached, as CONFIG_CACHE_SECONDS says.
  process.env.LOG_LEVEL = 'silent';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.TABLE_NAME = `bench-${randomBytes(4).toString('hex')}`;

  // DynamoDB Local first: modules import lib/ at their top, and lib/config.ts reads the environment once, at import.
  dynamoDbLocal = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = dynamoDbLocal.endpoint;
  const { dynamo } = await import('../lib/store/client.js');
  const { ensureTable } = await import('../scripts/local/table.js');
  const { applyConfigDirectory } = await import('../scripts/local/apply-config.js');
  await ensureTable(dynamo, process.env.TABLE_NAME);
  await applyConfigDirectory(join(projectRoot, 'config/example'));

  const modules: Benchmark[] = [];
  for (const id of selected) {
    const imported = (await import(pathToFileURL(join(benchDir, `${id}.bench.ts`)).href)) as {
      benchmark?: Benchmark;
    };
    if (!imported.benchmark) throw new Error(`bench/${id}.bench.ts exports no \`benchmark\``);
    modules.push(imported.benchmark);
  }

  const facts = machineFacts();
  const command = `npm run bench${requested.length ? ` -- ${requested.join(' ')}` : ''}`;
  const date = new Date().toISOString().slice(0, 10);
  for (const module of modules) {
    process.stderr.write(`${module.id}: ${module.title}\n`);
    const started = Date.now();
    const tables: BenchTable[] = await module.run({
      projectRoot,
      tableName: process.env.TABLE_NAME,
      dynamodbEndpoint: dynamoDbLocal.endpoint,
      progress,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const table of tables) process.stdout.write(`\n${table.title}\n${markdownTable(table.rows)}\n`);
    writeDocBlock(
      join(projectRoot, 'docs/PERFORMANCE.md'),
      module.id,
      [
        `## ${module.title}`,
        '',
        `Measured ${date} with \`${command}\` (this module: ${seconds} s) on ${facts}.`,
        ...tables.flatMap((table) => [
          '',
          `### ${table.title}`,
          '',
          markdownTable(table.rows),
          ...(table.notes ? ['', table.notes.trim()] : []),
        ]),
      ].join('\n'),
    );
    mkdirSync(join(benchDir, 'results'), { recursive: true });
    writeFileSync(
      join(benchDir, 'results', `${module.id}.json`),
      `${JSON.stringify({ id: module.id, date: new Date().toISOString(), machine: facts, tables }, null, 2)}\n`,
    );
  }
  process.stderr.write('docs/PERFORMANCE.md updated\n');
}

async function stop(code: number) {
  await dynamoDbLocal?.stop();
  process.exit(code);
}

process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

main().then(
  () => stop(0),
  async (error) => {
    process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
    await stop(1);
  },
);
