import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LONG, removeDir, startChildServer, tempDir, type ChildServer } from './support/child-server.js';
import { checkLog, databaseFiles, findSecrets, integrityCheck } from './support/database-checks.js';
import { checkLedger } from './support/durability.js';
import { newLedger, signUp, startMixedLoad } from './support/key-load.js';

const PASSWORD = 'shutdown-test-passphrase';
const ROUNDS = LONG ? 5 : 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown (SIGTERM) under load', () => {
  const dir = tempDir('shutdown');
  const databasePath = join(dir, 'keyledger.db');
  const logFile = join(dir, 'server.log');
  let server: ChildServer | null = null;
  afterAll(async () => {
    await server?.kill();
    removeDir(dir);
  });

  it(`loses no acknowledged generate and no acknowledged use, over ${ROUNDS} stops`, async () => {
    const ledger = newLedger();
    let token = '';
    for (let round = 1; round <= ROUNDS; round++) {
      server = await startChildServer({ databasePath, logFile });
      if (!token) {
        token = await signUp(server.url, 'shutdown-tester', PASSWORD);
        ledger.secrets.add(PASSWORD).add(token);
      }
      const load = startMixedLoad({
        urls: [server.url],
        token,
        ledger,
        concurrency: 8,
        label: `s${round}`,
        // Mostly verifications: they are the buffered kind that a careless shutdown would drop.
        mix: { generate: 0.08, revoke: 0.02, regenerate: 0.05, verify: 0.85 },
      });
      await sleep(400 + Math.random() * 600);
      const exit = await server.stop();
      await load.stop();
      server = null;
      expect(exit, 'the process exits cleanly').toEqual({ code: 0, signal: null });

      const report = checkLedger(databasePath, ledger);
      expect(report.problems).toEqual([]);
      expect(report.identifiedUses).toBeGreaterThan(10);
      expect(
        report.lostUses.map((v) => v.requestId),
        'every acknowledged verification has its key.used event',
      ).toEqual([]);
    }
    expect(ledger.serverErrors).toEqual([]);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('shutting down');
    expect(findSecrets(ledger.secrets, databaseFiles(databasePath), { log })).toEqual([]);
    const checks = await checkLog(databasePath);
    expect(checks.replay).toMatchObject({ code: 0, differences: [] });
    expect(checks.chain).toMatchObject({ code: 0, ok: true });
    expect(integrityCheck(databasePath)).toBe('ok');
  }, 120_000);
});
