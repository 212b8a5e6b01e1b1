import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../../scripts/local/dynamodb-local.js';
import { projectRoot } from '../../scripts/local/service-definition.js';

export type StackProcess = { pid: number; command: string };

export type LocalStack = {
  apiUrl: string;
  lambdaUrl: string;
  siteUrl: string;
  /** The stack's inbound SMTP receiver (replies): `{ host, port }`. */
  inboundSmtp: { host: string; port: number };
  pid: number;
  output: () => string;
  /** Every live process of the stack's process group (tsx, the stack, DynamoDB Local's JVM, ...). */
  processes: () => StackProcess[];
  /**
   * Sends `signal` to the stack's own pid only, as `kill <pid>` would, and waits for it to exit. Returns what
   * was still alive in its process group afterwards (and kills that, so a failing test leaves nothing behind).
   */
  stop: (signal?: NodeJS.Signals) => Promise<{ exitCode: number | null; leftovers: StackProcess[] }>;
};

const READY = /Demo token/;

/**
 * The real `npm start` stack (`tsx scripts/local-stack.ts`) on free ports, with its own DynamoDB Local, in its
 * own process group so that whatever it leaves behind can be found and cleaned up.
 */
export async function startLocalStack(
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<LocalStack> {
  const [port, lambdaPort, sitePort, dynamodbPort, inboundSmtpPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // Only what a shell would pass to `npm start`: the test run's own settings (its DynamoDB Local and table,
  // vitest's env overrides) must not change how the stack behaves.
  const inherited = Object.fromEntries(
    ['HOME', 'TMPDIR', 'LANG', 'TZ', 'JAVA_HOME', 'CI'].flatMap((name) =>
      process.env[name] === undefined ? [] : [[name, process.env[name]]],
    ),
  );
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    // The same Node as this test run (Node 22 from node_modules), whatever the shell's PATH says.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    PORT: String(port),
    LAMBDA_PORT: String(lambdaPort),
    SITE_PORT: String(sitePort),
    DYNAMODB_PORT: String(dynamodbPort),
    INBOUND_SMTP_PORT: String(inboundSmtpPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const child: ChildProcess = spawn(join(projectRoot, 'node_modules/.bin/tsx'), ['scripts/local-stack.ts'], {
    cwd: projectRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stack: LocalStack = {
    apiUrl: `http://localhost:${port}`,
    lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
    siteUrl: `http://localhost:${sitePort}`,
    inboundSmtp: { host: '127.0.0.1', port: inboundSmtpPort },
    pid,
    output: () => output,
    processes: () => processGroup(pid),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const exitCode = await Promise.race([
        exited,
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000)),
      ]);
      const leftovers = processGroup(pid);
      if (leftovers.length) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return { exitCode, leftovers };
    },
  };

  await new Promise<void>((resolve, reject) => {
    // About 5 s on an idle machine; CI neighbours and parallel test files can make it many times slower.
    const timer = setTimeout(() => {
      void stack.stop('SIGKILL');
      reject(new Error(`the local stack did not get ready in time:\n${output}`));
    }, options.timeoutMs ?? 150_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the local stack exited (${code}) before it was ready:\n${output}`));
    });
  });
  return stack;
}

/** Live processes whose process group is `groupId` (Linux /proc). */
export function processGroup(groupId: number): StackProcess[] {
  const found: StackProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields that follow start after the last ')'.
      const [state, , processGroupId] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(processGroupId) !== groupId || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      found.push({ pid: Number(entry), command });
    } catch {
      // exited while we looked
    }
  }
  return found;
}
