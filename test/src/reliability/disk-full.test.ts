import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restClient, startTestServer, type TestServer } from '../support/test-server.js';
import { removeDir, startChildServer, tempDir, type ChildServer } from './support/child-server.js';
import { checkLog, databaseFiles, findSecrets, integrityCheck, readLog } from './support/database-checks.js';

type Json = Record<string, unknown>;
const PASSWORD = 'disk-full-test-passphrase';
const LONG_TEXT = 'x'.repeat(500);

/** What a storage failure must look like to a client: 503, a code it can act on, and when to retry. */
function expectStorageUnavailable(res: { status: number; headers: Headers; body: Json }) {
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({
    error: { code: 'STORAGE_UNAVAILABLE', message: expect.stringMatching(/storage/) },
  });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(JSON.stringify(res.body)).not.toMatch(/SQLITE|at \w+ \(|\.ts:\d+|\.js:\d+/);
}

describe('disk full (PRAGMA max_page_count on the server’s own connection)', () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it('answers writes with 503, keeps serving reads and verifications, and recovers when space returns', async () => {
    server = await startTestServer();
    const api = restClient(server.url);
    const db = server.app.services.store.db;
    const token = await api.signUp('full-disk', PASSWORD);
    const secrets = [PASSWORD, token];
    const acked: string[] = [];
    const generate = async () => {
      const res = await api.call<Json>('POST', '/api-keys/generate', {
        token,
        body: { name: 'filler', description: LONG_TEXT, rate_limit: 10_000 },
      });
      if (res.status === 201) {
        acked.push(res.body.key_id as string);
        secrets.push(res.body.key as string);
      }
      return res;
    };
    expect((await generate()).status).toBe(201);
    const key = secrets.at(-1) as string;

    // The file may not grow past its size now: the next new page is SQLITE_FULL.
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    let full: Awaited<ReturnType<typeof generate>> | null = null;
    for (let i = 0; i < 500 && !full; i++) {
      const res = await generate();
      if (res.status !== 201) full = res;
    }
    expect(full, 'the database filled up').not.toBeNull();
    expectStorageUnavailable(full as Awaited<ReturnType<typeof generate>>);
    expectStorageUnavailable(await generate());

    // Reads and verification still work; uses wait in memory for the disk.
    expect((await api.call('GET', '/api-keys/list', { token })).status).toBe(200);
    const usesDuringOutage: string[] = [];
    for (let i = 0; i < 20; i++) {
      const requestId = `outage-${i}`;
      const res = await api.call<Json>('POST', '/api-keys/verify', {
        body: { key },
        headers: { 'x-request-id': requestId },
      });
      expect(res.body).toMatchObject({ valid: true, code: 'VALID' });
      usesDuringOutage.push(requestId);
    }
    // A few uses may still fit in the last page; the rest wait.
    const store = server.app.services.store;
    store.flush();
    const waiting = store.usageStats().buffered;
    expect(waiting).toBeGreaterThan(0);
    expect(server.logs()).toContain('usage flush failed');

    // Space returns.
    db.pragma('max_page_count = 4294967294');
    expect((await generate()).status).toBe(201);
    expect(store.flush()).toBe(waiting);
    expect(store.usageStats()).toMatchObject({ buffered: 0, dropped: 0 });

    const log = readLog(server.databasePath);
    for (const id of usesDuringOutage) expect(log.useRequestIds.has(id), id).toBe(true);
    const created = log.keyEvents.filter((e) => e.type === 'key.created').map((e) => e.key_id);
    expect(created.sort(), 'exactly the acknowledged generates, nothing half-written').toEqual(acked.sort());
    expect(integrityCheck(server.databasePath)).toBe('ok');
    const checks = await checkLog(server.databasePath);
    expect(checks.replay).toMatchObject({ code: 0, differences: [] });
    expect(checks.chain).toMatchObject({ code: 0, ok: true });
    expect(findSecrets(secrets, databaseFiles(server.databasePath), { log: server.logs() })).toEqual([]);
  }, 60_000);
});

/** A real full filesystem needs a tmpfs we may mount: root on Linux. Elsewhere this part is skipped. */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = tempDir('tmpfs-probe');
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status !== 0) return false;
    return spawnSync('umount', [probe]).status === 0;
  } finally {
    removeDir(probe);
  }
}
const TMPFS = canMountTmpfs();
if (!TMPFS) console.warn('disk-full on tmpfs skipped: mounting a tmpfs needs root on Linux');

describe.skipIf(!TMPFS)('disk full (a real, small tmpfs under a server process)', () => {
  const dir = tempDir('tmpfs');
  const mountPoint = join(dir, 'mnt');
  let server: ChildServer | null = null;
  afterAll(async () => {
    await server?.kill();
    if (spawnSync('umount', [mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
    removeDir(dir);
  });

  it('answers 503 when the filesystem is full, corrupts nothing, and recovers when it grows', async () => {
    mkdirSync(mountPoint);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]).status).toBe(0);
    const databasePath = join(mountPoint, 'keyledger.db');
    const logFile = join(dir, 'server.log');
    server = await startChildServer({
      databasePath,
      logFile,
      env: { KEYLEDGER_MAX_KEYS_PER_USER: '100000' },
    });
    const api = restClient(server.url);
    const token = await api.signUp('tmpfs-user', PASSWORD);
    const secrets = [PASSWORD, token];
    const acked: string[] = [];
    const generate = async () => {
      const res = await api.call<Json>('POST', '/api-keys/generate', {
        token,
        body: { name: 'filler', description: LONG_TEXT, rate_limit: 10_000 },
      });
      if (res.status === 201) {
        acked.push(res.body.key_id as string);
        secrets.push(res.body.key as string);
      }
      return res;
    };

    let full: Awaited<ReturnType<typeof generate>> | null = null;
    for (let i = 0; i < 3000 && !full; i++) {
      const res = await generate();
      if (res.status !== 201) full = res;
    }
    expect(full, 'the filesystem filled up').not.toBeNull();
    expectStorageUnavailable(full as Awaited<ReturnType<typeof generate>>);
    const key = secrets[2] as string;
    const verified = await api.call<Json>('POST', '/api-keys/verify', {
      body: { key },
      headers: { 'x-request-id': 'tmpfs-outage' },
    });
    expect(verified.body).toMatchObject({ valid: true });
    expect((await api.call('GET', '/healthz')).status).toBe(200);

    expect(spawnSync('mount', ['-o', 'remount,size=64m', mountPoint]).status).toBe(0);
    expect((await generate()).status).toBe(201);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    server = null;

    const log = readLog(databasePath);
    expect(log.useRequestIds.has('tmpfs-outage'), 'the use recorded during the outage').toBe(true);
    const created = log.keyEvents.filter((e) => e.type === 'key.created').map((e) => e.key_id);
    expect(created.sort()).toEqual(acked.sort());
    expect(integrityCheck(databasePath)).toBe('ok');
    const checks = await checkLog(databasePath);
    expect(checks.replay).toMatchObject({ code: 0, differences: [] });
    expect(checks.chain).toMatchObject({ code: 0, ok: true });
    const logText = readFileSync(logFile, 'utf8');
    expect(findSecrets(secrets, databaseFiles(databasePath), { log: logText })).toEqual([]);
    console.info(`tmpfs filled after ${acked.length} keys; the server recovered after the remount`);
  }, 120_000);
});
