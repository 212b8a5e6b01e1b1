/**
 * What a benchmark module is, and the helpers they share. A module is a file `bench/<id>.bench.ts` that exports
 * `benchmark: Benchmark`; `npm run bench` runs them all, `npm run bench -- <id> [<id>...]` only those named.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { streamReader } from '../scripts/local/stream-reader.js';

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
    // Other work on the machine skews every figure here: say how busy it was.
    `load average ${loadavg()[0]!.toFixed(2)} at the start`,
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

// ---- DynamoDB: what a piece of work asks for and what it costs, seeding, and the table's stream ----

/** One request a watched client sent, in the document client's plain values, with what DynamoDB Local answered. */
export type ObservedRequest = {
  /** The command's name, e.g. `QueryCommand`, `TransactWriteItemsCommand`. */
  command: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  /** ConsumedCapacity.CapacityUnits as DynamoDB Local reports it (0 unless `consumedCapacity` is on). */
  consumed: number;
};

export type RequestWatch = {
  /** Asks every request for ReturnConsumedCapacity: TOTAL (changes the payload a little: off for latency runs). */
  consumedCapacity: boolean;
  /** Awaited before a recorded request is sent, e.g. to read the before-images of a transaction's items. */
  before?: (request: { command: string; input: Record<string, unknown> }) => Promise<void>;
  /** Runs `work` and returns the requests it sent, in the order they completed. */
  record<T>(work: () => Promise<T>): Promise<{ result: T; requests: ObservedRequest[] }>;
  remove(): void;
};

/**
 * Watches a DynamoDB client from inside its middleware stack, after the document client's input is final and
 * before it is serialised: what `record` runs is attributed request by request. One recording at a time.
 */
export function watchRequests(client: DynamoDBClient, name = 'benchRequestWatch'): RequestWatch {
  let recording: ObservedRequest[] | undefined;
  const watch: RequestWatch = {
    consumedCapacity: false,
    async record(work) {
      if (recording) throw new Error('watchRequests: one recording at a time');
      const requests: ObservedRequest[] = [];
      recording = requests;
      try {
        return { result: await work(), requests };
      } finally {
        recording = undefined;
      }
    },
    remove: () => void client.middlewareStack.remove(name),
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const into = recording;
      const input = args.input as Record<string, unknown>;
      const command = context.commandName ?? '';
      if (!into) return next(args);
      if (watch.consumedCapacity && !/^(Scan|ListTables|DescribeTable|CreateTable)/.test(command))
        input.ReturnConsumedCapacity = 'TOTAL';
      await watch.before?.({ command, input });
      const result = await next(args);
      const output = result.output as unknown as Record<string, unknown>;
      const consumed = [(output.ConsumedCapacity as unknown) ?? []]
        .flat()
        .reduce((sum: number, entry) => sum + ((entry as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
      into.push({ command, input, output, consumed });
      return result;
    },
    { step: 'serialize', priority: 'high', name },
  );
  return watch;
}

/** DynamoDB's size of an item in the document client's plain values: attribute names plus values. */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [attribute, value] of Object.entries(item))
    if (value !== undefined) size += Buffer.byteLength(attribute) + attributeValueSize(value);
  return size;
}

function attributeValueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value)
      .replace(/^-|\.|e.*$/gi, '')
      .replace(/^0+/, '').length;
    return Math.ceil(digits / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set)
    return [...value].reduce((sum: number, entry) => sum + attributeValueSize(entry), 0);
  if (Array.isArray(value))
    return 3 + value.reduce((sum: number, entry) => sum + 1 + attributeValueSize(entry), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
    return 3 + entries.length + itemSize(Object.fromEntries(entries));
  }
  return 0;
}

/** Write units of one item by DynamoDB's rules: 1 per KB, rounded up (a transaction doubles it). */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** Read units of a Query or GetItem by DynamoDB's rules: the bytes read, rounded up to 4 KB; eventual reads half. */
export const readUnits = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/**
 * Writes items with BatchWriteItem, 25 a request, `concurrency` requests in flight, retrying what DynamoDB
 * leaves unprocessed. Returns the seconds it took.
 */
export async function batchWriteAll(
  documents: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  options: { concurrency?: number; progress?: (done: number) => void } = {},
): Promise<number> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  let reported = 0;
  const worker = async () => {
    while (next < items.length) {
      const chunk = items.slice(next, next + 25);
      next += chunk.length;
      let requests: BatchWriteCommandInput['RequestItems'] = {
        [tableName]: chunk.map((Item) => ({ PutRequest: { Item } })),
      };
      for (let attempt = 0; requests && Object.keys(requests).length; attempt++) {
        if (attempt) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 2 ** attempt * 10)));
        const result: { UnprocessedItems?: BatchWriteCommandInput['RequestItems'] } = await documents.send(
          new BatchWriteCommand({ RequestItems: requests }),
        );
        requests = result.UnprocessedItems;
      }
      done += chunk.length;
      if (options.progress && done - reported >= 10_000) {
        reported = done;
        options.progress(done);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  return (performance.now() - started) / 1000;
}

/** A table's real stream from its end: a table seeded with many items does not have to be read through first. */
export function streamFromNow(streamArn: string, endpoint: string) {
  return streamReader(streamArn, { endpoint, from: 'now' });
}
