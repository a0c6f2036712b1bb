import BetterSqlite3 from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkProjections, createEventStore, keyStreamId, verifyChain } from '../index.js';
import { tempDir } from '../testing/fixtures.js';

// These tests run the store in separate processes, from the built package: build it first (npm test
// builds before it runs the tests; this keeps the file runnable on its own).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const writer = fileURLToPath(new URL('../testing/log-writer.mjs', import.meta.url));

function start(args: string[]) {
  const child = spawn(process.execPath, [writer, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, stderr: () => stderr };
}

describe('the log across processes', () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;

  beforeAll(() => {
    execFileSync('npx', ['tsc', '-b', 'events'], { cwd: root, stdio: 'inherit' });
  });
  beforeEach(() => {
    dir = tempDir();
    path = join(dir.path, 'log.db');
  });
  afterEach(() => dir.remove());

  it('has lost nothing a lifecycle append acknowledged when its process is killed with SIGKILL', async () => {
    const run = start([path, 'append']);
    const acknowledged: { keyId: string; positions: number[] }[] = [];
    let usesWritten = 0;
    for await (const line of run.lines) {
      const message = JSON.parse(line) as { keyId?: string; positions?: number[]; usesWritten?: number };
      if (message.usesWritten !== undefined) usesWritten = message.usesWritten;
      else acknowledged.push(message as { keyId: string; positions: number[] });
      if (acknowledged.length === 40) {
        run.child.kill('SIGKILL');
        break;
      }
    }
    await run.exited;
    expect(run.child.signalCode).toBe('SIGKILL');

    const raw = new BetterSqlite3(path);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    const store = createEventStore({ path });
    try {
      for (const { keyId, positions } of acknowledged) {
        const [event] = store.readStream(keyStreamId(keyId));
        expect(event, keyId).toMatchObject({
          type: 'key.created',
          position: positions[0],
          data: { key_id: keyId },
        });
        expect(store.db.prepare('SELECT count(*) FROM api_keys WHERE key_id = ?').pluck().get(keyId)).toBe(1);
      }
      // Uses are only promised once flushed: every flushed one is there, and at most a buffer more.
      const uses = store.db
        .prepare("SELECT count(*) FROM events WHERE type = 'key.used'")
        .pluck()
        .get() as number;
      expect(usesWritten).toBeGreaterThan(0);
      expect(uses).toBeGreaterThanOrEqual(usesWritten);
      expect(verifyChain(store.db)).toMatchObject({ ok: true });
      expect(checkProjections(store.db, { usageLogCutoff: store.usageLogCutoff() }).differences).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('lets exactly one of two racing processes create each stream', async () => {
    createEventStore({ path }).close();
    const n = 150;
    const runs = [start([path, 'race', String(n)]), start([path, 'race', String(n)])];
    const wins = await Promise.all(
      runs.map(async (run) => {
        const won = new Set<number>();
        for await (const line of run.lines) {
          const { i, won: ok } = JSON.parse(line) as { i: number; won: boolean };
          if (ok) won.add(i);
        }
        expect(await run.exited, run.stderr()).toBe(0);
        return won;
      }),
    );
    const [a, b] = wins as [Set<number>, Set<number>];
    for (let i = 0; i < n; i++) expect(Number(a.has(i)) + Number(b.has(i)), `race-${i}`).toBe(1);
    const store = createEventStore({ path });
    try {
      expect(store.db.prepare("SELECT count(*) FROM events WHERE type = 'key.created'").pluck().get()).toBe(
        n,
      );
      expect(verifyChain(store.db)).toMatchObject({ ok: true, events: n });
    } finally {
      store.close();
    }
  });
});
