import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LONG, removeDir, startChildServer, tempDir, type ChildServer } from './support/child-server.js';
import { checkLog, databaseFiles, findSecrets, integrityCheck } from './support/database-checks.js';
import { checkLedger } from './support/durability.js';
import { newLedger, signUp, startMixedLoad, verifyOnce } from './support/key-load.js';

const CYCLES = LONG ? 20 : 3;
const PASSWORD = 'crash-test-dummy-passphrase';

/**
 * The bound this test holds the group commit to. The server flushes buffered uses every 5 ms
 * (services.ts: usageFlushIntervalMs); a flush can start late by as long as the event loop is busy (a
 * lifecycle fsync, a burst of requests, a machine shared with other tests). So a use acknowledged more
 * than 5 ms + 245 ms of event-loop delay before the SIGKILL must be in the log; anything younger may be
 * lost with the process. SECURITY.md states the same bound.
 */
const FLUSH_INTERVAL_MS = 5;
const EVENT_LOOP_DELAY_ALLOWANCE_MS = 245;
const LOSS_WINDOW_MS = FLUSH_INTERVAL_MS + EVENT_LOOP_DELAY_ALLOWANCE_MS;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 under mixed load', () => {
  const dir = tempDir('kill-loop');
  const databasePath = join(dir, 'keyledger.db');
  const logFile = join(dir, 'server.log');
  let server: ChildServer | null = null;
  afterAll(async () => {
    await server?.kill();
    removeDir(dir);
  });

  it(
    `loses no acknowledged lifecycle change and no use older than the flush window, across ${CYCLES} crashes`,
    async () => {
      const env = { KEYLEDGER_MAX_KEYS_PER_USER: '100000' };
      server = await startChildServer({ databasePath, logFile, env });
      const ledger = newLedger();
      const token = await signUp(server.url, 'crash-tester', PASSWORD);
      ledger.secrets.add(PASSWORD).add(token);

      const summary: string[] = [];
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const firstVerification = ledger.verifications.length;
        const load = startMixedLoad({
          urls: [server.url],
          token,
          ledger,
          concurrency: 6,
          label: `c${cycle}`,
        });
        await sleep(300 + Math.random() * 1200);
        const killAt = performance.now();
        await server.kill();
        await load.stop();
        server = null;

        // The files as the crash left them, before anything reopens the database.
        expect(
          findSecrets(ledger.secrets, databaseFiles(databasePath), { log: readFileSync(logFile, 'utf8') }),
        ).toEqual([]);

        server = await startChildServer({ databasePath, logFile, env });
        const checks = await checkLog(databasePath);
        expect(checks.replay, 'replay --check after the crash').toMatchObject({ code: 0, differences: [] });
        expect(checks.chain, 'verify-chain after the crash').toMatchObject({ code: 0, ok: true });
        expect(integrityCheck(databasePath)).toBe('ok');

        const cycleUses = ledger.verifications.slice(firstVerification);
        const report = checkLedger(databasePath, ledger, cycleUses);
        expect(report.problems).toEqual([]);
        const tooOld = report.lostUses.filter((v) => v.ackAt <= killAt - LOSS_WINDOW_MS);
        expect(
          tooOld.map((v) => `${v.requestId} acknowledged ${Math.round(killAt - v.ackAt)} ms before the kill`),
          'uses lost outside the flush window',
        ).toEqual([]);
        const valid = cycleUses.filter((v) => v.code === 'VALID').length;
        summary.push(
          `cycle ${cycle}: ${load.answered()} answers, ${valid} VALID verifications, ${report.lostUses.length} uses lost` +
            (report.lostUses.length
              ? ` (acknowledged ≤ ${Math.round(Math.max(...report.lostUses.map((v) => killAt - v.ackAt)))} ms before the kill)`
              : ''),
        );

        // The newest secret of every key whose history the client knows for sure answers as it should.
        const known = [...ledger.keys.values()].filter((k) => k.unanswered === 0).slice(-20);
        for (const key of known) {
          const answer = await verifyOnce(server.url, key.secret);
          expect(answer.code, key.keyId).toBe(key.revoked ? 'REVOKED' : 'VALID');
        }
      }
      expect(ledger.serverErrors).toEqual([]);
      expect(ledger.keys.size).toBeGreaterThan(CYCLES);
      console.info(`kill -9 loop (${CYCLES} cycles):\n  ${summary.join('\n  ')}`);
    },
    LONG ? 900_000 : 120_000,
  );
});
