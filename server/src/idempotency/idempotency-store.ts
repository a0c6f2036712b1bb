import type { Database } from 'better-sqlite3';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { KeyledgerError } from '../errors.js';
import { idempotencyKeyId } from '../request-meta.js';

/** How long a reply is kept for replay; Stripe keeps 24 hours, we keep 48. */
export const IDEMPOTENCY_TTL_MS = 48 * 3_600_000;

export function createIdempotencyTable(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS idempotency_keys (
      id TEXT PRIMARY KEY,       -- sha256(scope, key): the raw key is never stored
      procedure TEXT NOT NULL,
      fingerprint TEXT NOT NULL, -- HMAC of the procedure and its input
      reply BLOB NOT NULL,       -- AES-256-GCM, keyed by the raw idempotency key
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);
  `);
}

/**
 * Remembers each mutation's reply under its Idempotency-Key. Replies can carry a plaintext key (generate,
 * regenerate) or an access token (sign-in), so they are encrypted under a key derived from the pepper and
 * the client's idempotency key, which is itself stored only as a hash: the database alone never holds a
 * secret in the clear.
 */
export function idempotencyStore(db: Database, pepper: Buffer, clock: () => number) {
  createIdempotencyTable(db);
  const find = db.prepare<[string, number], { procedure: string; fingerprint: string; reply: Buffer }>(
    'SELECT procedure, fingerprint, reply FROM idempotency_keys WHERE id = ? AND created_at > ?',
  );
  const save = db.prepare(
    'INSERT OR REPLACE INTO idempotency_keys (id, procedure, fingerprint, reply, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const prune = db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?');

  const idOf = idempotencyKeyId;
  const cipherKey = (scope: string, key: string) =>
    Buffer.from(
      hkdfSync('sha256', pepper, Buffer.from(`${scope}\u0000${key}`), 'keyledger idempotency reply', 32),
    );
  const fingerprintOf = (procedure: string, input: unknown) =>
    createHmac('sha256', pepper)
      .update(procedure)
      .update('\u0000')
      .update(JSON.stringify(input ?? null))
      .digest('hex');

  const seal = (scope: string, key: string, reply: unknown): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', cipherKey(scope, key), iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(reply ?? null), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  };
  const open = (scope: string, key: string, sealed: Buffer): unknown => {
    const decipher = createDecipheriv('aes-256-gcm', cipherKey(scope, key), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return JSON.parse(
      Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8'),
    );
  };

  return {
    /**
     * Runs `execute` once per (scope, key): a repeat with the same input gets the first reply and runs
     * nothing; a repeat with another input is IDEMPOTENCY_CONFLICT. Call inside the transaction that
     * makes the mutation's writes, so the reply is stored if and only if they commit.
     */
    run<T>(scope: string, key: string, procedure: string, input: unknown, execute: () => T): T {
      const id = idOf(scope, key);
      const fingerprint = fingerprintOf(procedure, input);
      const previous = find.get(id, clock() - IDEMPOTENCY_TTL_MS);
      if (previous) {
        if (previous.procedure !== procedure || previous.fingerprint !== fingerprint) {
          throw new KeyledgerError(
            'IDEMPOTENCY_CONFLICT',
            'this Idempotency-Key was already used with a different request',
          );
        }
        return open(scope, key, previous.reply) as T;
      }
      const reply = execute();
      save.run(id, procedure, fingerprint, seal(scope, key, reply), clock());
      return reply;
    },

    prune: () => prune.run(clock() - IDEMPOTENCY_TTL_MS).changes,
  };
}
export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
