import type { Database } from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'kls_';

export function createSessionTables(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS sessions (
      token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    ) STRICT;
    CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
  `);
}

/** 256 random bits: a plain SHA-256 is a safe lookup hash, and only the hash is stored. */
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Opaque access tokens, stored only as hashes, expiring, revoked at sign-out. */
export function sessionStore(db: Database, clock: () => number) {
  createSessionTables(db);
  const insert = db.prepare(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const find = db.prepare<[string, number], { user_id: string; expires_at: number }>(
    'SELECT user_id, expires_at FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?',
  );
  const revoke = db.prepare('UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL');
  const prune = db.prepare('DELETE FROM sessions WHERE expires_at < ?');

  return {
    issue(userId: string, ttlSeconds: number): { token: string; expiresAt: number } {
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const now = clock();
      const expiresAt = now + ttlSeconds * 1000;
      insert.run(tokenHash(token), userId, now, expiresAt);
      return { token, expiresAt };
    },
    /** The user a live token belongs to, or null for an unknown, expired or revoked one. */
    resolve(token: string): string | null {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
      return find.get(tokenHash(token), clock())?.user_id ?? null;
    },
    revoke(token: string): boolean {
      return revoke.run(clock(), tokenHash(token)).changes > 0;
    },
    /** Forgets sessions that expired more than a day ago. */
    prune: () => prune.run(clock() - 86_400_000).changes,
  };
}
export type SessionStore = ReturnType<typeof sessionStore>;
