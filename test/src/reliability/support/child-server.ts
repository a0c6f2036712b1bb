import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
export const SERVER_MAIN = root('server/dist/main.js');
export const CLI_MAIN = root('server/dist/cli/main.js');

/** True under `npm run test:long`: the crash loop, the fuzzers and the timing samples run far longer. */
export const LONG = process.env.KEYLEDGER_LONG === '1';

/** Child processes run the built server; say how to get it rather than fail obscurely. */
export function requireBuild(): void {
  for (const file of [SERVER_MAIN, CLI_MAIN]) {
    if (!existsSync(file)) {
      throw new Error(
        `${file} is missing: build the server first (\`npm run build:server\`; \`npm test\` builds it before vitest)`,
      );
    }
  }
}

/** A port nobody listens on right now. Another process may take it before we do: callers retry. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `keyledger-${label}-`));
}

export interface ChildServer {
  url: string;
  pid: number;
  child: ChildProcess;
  databasePath: string;
  logFile: string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), and wait until the process is gone. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildServerOptions {
  databasePath: string;
  /** Where the server's JSON log goes (appended, so restarts share one file). */
  logFile: string;
  env?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `node server/dist/main.js` on a free port and waits until /healthz answers. */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  requireBuild();
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const fd = openSync(options.logFile, 'a');
    const child = spawn(process.execPath, [SERVER_MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_PATH: options.databasePath,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        KEYLEDGER_SIGNUPS_PER_HOUR: '100000',
        ...options.env,
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let gone = false;
    void exited.then(() => (gone = true));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while (!gone && Date.now() < deadline) {
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) {
          await res.arrayBuffer();
          const waitFor = async (signal: NodeJS.Signals) => {
            if (!gone) child.kill(signal);
            return exited;
          };
          return {
            url,
            pid: child.pid as number,
            child,
            databasePath: options.databasePath,
            logFile: options.logFile,
            exited,
            kill: async () => void (await waitFor('SIGKILL')),
            stop: () => waitFor('SIGTERM'),
          };
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    if (!gone) child.kill('SIGKILL');
    await exited;
    const log = readFileSync(options.logFile, 'utf8');
    lastError = new Error(
      `the server did not start (attempt ${attempt + 1}); log tail:\n${log.slice(-2000)}`,
    );
    if (!log.includes('EADDRINUSE')) break;
  }
  throw lastError ?? new Error('the server did not start');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the Keyledger CLI (`server/dist/cli/main.js`) against a database, without blocking this process. */
export function runCli(args: string[], databasePath: string, stdin?: string): Promise<CliResult> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: databasePath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Removes a test folder; harmless when it is already gone. */
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });
