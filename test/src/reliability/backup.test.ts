import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, startChildServer, tempDir, type ChildServer } from './support/child-server.js';
import { checkLog, databaseFiles, findSecrets, integrityCheck } from './support/database-checks.js';
import { checkLedger } from './support/durability.js';
import { newLedger, signUp, startMixedLoad, verifyOnce, type Ledger } from './support/key-load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A copy of the ledger as it stood at one moment: what a backup taken after it must contain. */
function snapshot(ledger: Ledger): Ledger {
  return {
    ...ledger,
    keys: new Map([...ledger.keys].map(([id, k]) => [id, { ...k }])),
    verifications: [...ledger.verifications],
  };
}

describe('online backup through the CLI', () => {
  const dir = tempDir('backup');
  const databasePath = join(dir, 'live', 'keyledger.db');
  const restoreDir = join(dir, 'restored');
  const backupPath = join(restoreDir, 'keyledger.db');
  const servers: ChildServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.kill();
    removeDir(dir);
  });

  it('makes a consistent copy while the server keeps writing, which restores and serves', async () => {
    mkdirSync(join(dir, 'live'));
    mkdirSync(restoreDir);
    const server = await startChildServer({ databasePath, logFile: join(dir, 'live.log') });
    servers.push(server);
    const ledger = newLedger();
    const token = await signUp(server.url, 'backup-tester', 'backup-test-passphrase');
    const load = startMixedLoad({ urls: [server.url], token, ledger, concurrency: 6, label: 'b' });
    await sleep(700);

    // Everything acknowledged before the backup starts is in it; what comes during it may be.
    const before = snapshot(ledger);
    const backup = await runCli(['backup', backupPath], databasePath);
    await sleep(200);
    await load.stop();
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ path: backupPath });
    expect(ledger.serverErrors).toEqual([]);
    expect(ledger.verifications.length).toBeGreaterThan(before.verifications.length);

    expect(integrityCheck(backupPath)).toBe('ok');
    ledger.secrets.add(token).add('backup-test-passphrase');
    const logs = readFileSync(join(dir, 'live.log'), 'utf8');
    expect(findSecrets(ledger.secrets, [...databaseFiles(databasePath), backupPath], { logs })).toEqual([]);
    const checks = await checkLog(backupPath);
    expect(checks.replay).toMatchObject({ code: 0, differences: [] });
    expect(checks.chain).toMatchObject({ code: 0, ok: true });
    // Lifecycle changes acknowledged before the backup are all in it. (Uses still in the server's
    // group-commit buffer when the backup ran may not be, so only lifecycle is asserted.)
    const keysBefore = [...before.keys.values()].filter((k) => !ledger.keys.get(k.keyId)?.unanswered);
    expect(keysBefore.length).toBeGreaterThan(2);
    expect(
      checkLedger(backupPath, { ...before, keys: new Map(keysBefore.map((k) => [k.keyId, k])) }, [], {
        changesMayFollow: true,
      }).problems,
    ).toEqual([]);

    // The pepper lives beside the database, not in it: a restore needs it too (see SECURITY.md). Checking
    // the copy needs no secret, and must not make up a new pepper that would silently break every key.
    expect(existsSync(join(restoreDir, 'keyledger.pepper'))).toBe(false);
    const withoutPepper = await startChildServer({
      databasePath: backupPath,
      logFile: join(dir, 'no-pepper.log'),
    }).then(
      (s) => (servers.push(s), 'started'),
      (error: Error) => error.message,
    );
    expect(withoutPepper).toContain('pepper');
    expect(existsSync(join(restoreDir, 'keyledger.pepper'))).toBe(false);
    copyFileSync(join(dir, 'live', 'keyledger.pepper'), join(restoreDir, 'keyledger.pepper'));
    const restored = await startChildServer({ databasePath: backupPath, logFile: join(dir, 'restored.log') });
    servers.push(restored);
    // Untouched: neither revoked nor regenerated before the snapshot, nor after it while the copy ran.
    const live = keysBefore.find((k) => {
      const now = ledger.keys.get(k.keyId);
      return !k.revoked && now !== undefined && !now.revoked && now.secret === k.secret;
    });
    expect(live, 'a key left untouched since before the backup').toBeDefined();
    expect(await verifyOnce(restored.url, (live as { secret: string }).secret)).toMatchObject({
      valid: true,
      code: 'VALID',
    });
  }, 90_000);

  it('refuses to overwrite an existing file', async () => {
    const existing = join(dir, 'existing.db');
    copyFileSync(backupPath, existing);
    const res = await runCli(['backup', existing], databasePath);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('exists');
  });
});
