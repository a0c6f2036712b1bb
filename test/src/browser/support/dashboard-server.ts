import { configFromEnv, createApp, createLogger, type App } from '@keyledger/server';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const dashboardDir = join(repoRoot, 'dashboard');
export const dashboardBuild = join(dashboardDir, 'build');
export const artifactsDir = join(repoRoot, 'test-artifacts', 'browser');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The browser tests drive the dashboard as the server mounts it: from `dashboard/build`. `npm test`
 * builds it first; a run on its own builds it here when it is missing or older than its sources, so a
 * stale build never passes for the current code.
 */
export async function ensureDashboardBuild(): Promise<void> {
  if (isBuildFresh()) return;
  // Test files run in parallel processes: one builds, the others wait for it and then use its build.
  const lock = join(
    tmpdir(),
    `keyledger-dashboard-build-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}`,
  );
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than any build is one a killed run left behind.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (!isBuildFresh()) buildDashboard();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isBuildFresh(): boolean {
  const handler = join(dashboardBuild, 'handler.js');
  const sources = Math.max(
    newestSource(join(dashboardDir, 'src')),
    newestSource(join(dashboardDir, 'static')),
    statSync(join(dashboardDir, 'svelte.config.js')).mtimeMs,
  );
  return existsSync(handler) && statSync(handler).mtimeMs >= sources;
}

function buildDashboard(): void {
  const handler = join(dashboardBuild, 'handler.js');
  const built = spawnSync('node', ['scripts/pnpm.mjs', '--filter', '@keyledger/dashboard', 'run', 'build'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (built.status !== 0 || !existsSync(handler)) {
    throw new Error(
      `the dashboard build (dashboard/build/handler.js) is missing and building it failed; run \`npm run build\`.\n${built.stdout}\n${built.stderr}`,
    );
  }
}

export interface DashboardServer {
  app: App;
  url: string;
  logs(): string;
  close(): Promise<void>;
}

/** A real Keyledger server, with the built dashboard mounted, on a free loopback port and a temporary database. */
export async function startDashboardServer(env: Record<string, string> = {}): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-browser-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = configFromEnv(
    {
      DATABASE_PATH: join(dir, 'keyledger.db'),
      LOG_LEVEL: 'info',
      KEYLEDGER_SIGNUPS_PER_HOUR: '100000',
      ...env,
    },
    dashboardBuild,
  );
  const app = await createApp(config, { logger: createLogger('info', sink) });
  const url = await app.listen(0, '127.0.0.1');
  return {
    app,
    url,
    logs: () => lines.join(''),
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
}
