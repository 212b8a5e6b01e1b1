/**
 * What a benchmark module is, and the helpers they share. A module is a file `bench/<id>.bench.ts` that exports
 * `benchmark: Benchmark`; `npm run bench` runs them all, `npm run bench -- <id> [<id>...]` only those named.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';

export type BenchContext = {
  projectRoot: string;
  /** DynamoDB Local's table (TABLE_NAME), created as serverless.yml defines it, with config/example applied. */
  tableName: string;
  dynamodbEndpoint: string;
  progress: (message: string) => void;
};

export type BenchTable = {
  title: string;
  rows: Record<string, string | number>[];
  /** Markdown printed under the table in docs/PERFORMANCE.md: what the figures mean, and what explains them. */
  notes?: string;
};

export type Benchmark = {
  /** Owns the block `<!-- bench:<id>:start -->` … `<!-- bench:<id>:end -->` of docs/PERFORMANCE.md. */
  id: string;
  title: string;
  run: (context: BenchContext) => Promise<BenchTable[]>;
};

export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest rank: p99 of 500 samples is the 495th value, an observed latency rather than an interpolation.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export function markdownTable(rows: readonly Record<string, string | number>[]): string {
  if (!rows.length) return '(no rows)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const numeric = columns.map((column) => rows.every((row) => typeof (row[column] ?? 0) === 'number'));
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, index) =>
    Math.max(column.length, numeric[index] ? 4 : 3, ...cells.map((row) => row[index]!.length)),
  );
  // Padded as Biome formats Markdown tables, so that the written page passes \`npm run lint\` as it is.
  const pad = (text: string, index: number) =>
    numeric[index] ? text.padStart(widths[index]!) : text.padEnd(widths[index]!);
  const line = (values: readonly string[]) => `| ${values.map(pad).join(' | ')} |`;
  return [
    line(columns),
    `| ${widths.map((width, index) => (numeric[index] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`,
    ...cells.map(line),
  ].join('\n');
}

export function machineFacts(): string {
  const processors = cpus();
  return [
    `${processors.length} × ${processors[0]?.model.trim() ?? 'unknown CPU'}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `Node ${process.version}`,
    `${process.platform}/${process.arch}`,
  ].join(', ');
}

const DOC_HEADER = `# Performance

Figures measured by \`npm run bench\` (\`bench/run.ts\`). Each benchmark module \`bench/<id>.bench.ts\` owns one block of
this page, between \`<!-- bench:<id>:start -->\` and \`<!-- bench:<id>:end -->\`; a run rewrites only the blocks of the
modules it ran (\`npm run bench -- <id>\` runs one), and keeps everything outside the blocks. To add figures, add a
module exporting \`benchmark: Benchmark\` (see \`bench/lib.ts\`); it runs with DynamoDB Local, a fresh table and
config/example applied (\`DYNAMODB_ENDPOINT\` and \`TABLE_NAME\` are set before it is imported). Raw samples of the last run are in \`bench/results/<id>.json\` (not committed).
`;

/** Replaces (or appends) the block of one module in the document, keeping everything else. */
export function writeDocBlock(path: string, id: string, body: string): void {
  let document: string;
  try {
    document = readFileSync(path, 'utf8');
  } catch {
    document = DOC_HEADER;
  }
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  const updated =
    from >= 0 && to > from
      ? `${document.slice(0, from)}${block}${document.slice(to + end.length)}`
      : `${document.trimEnd()}\n\n${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, updated);
}
