import type { Database } from 'better-sqlite3';

/** The names of one set of projection tables: the live set, or a fresh set that replay fills. */
export interface ProjectionTables {
  apiKeys: string;
  users: string;
  usageLogs: string;
  usageRollups: string;
}

export const LIVE_TABLES: ProjectionTables = {
  apiKeys: 'api_keys',
  users: 'users',
  usageLogs: 'key_usage_logs',
  usageRollups: 'key_usage_rollups',
};

export const tablesWithPrefix = (prefix: string): ProjectionTables => ({
  apiKeys: `${prefix}api_keys`,
  users: `${prefix}users`,
  usageLogs: `${prefix}key_usage_logs`,
  usageRollups: `${prefix}key_usage_rollups`,
});

/** Primary-key columns per table, for naming the rows a replay check finds different. */
export const PRIMARY_KEYS: Record<keyof ProjectionTables, string[]> = {
  apiKeys: ['key_id'],
  users: ['user_id'],
  usageLogs: ['id'],
  usageRollups: ['key_id', 'granularity', 'bucket_start', 'endpoint'],
};

export function createProjectionTables(db: Database, t: ProjectionTables): void {
  // The brief's api_keys columns, plus what regeneration, revocation and idempotent replays need.
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${t.apiKeys} (
      key_id TEXT PRIMARY KEY,
      key_prefix TEXT NOT NULL,
      key_hash TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      description TEXT,
      user_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      expires_at INTEGER,
      revoked_at INTEGER,
      revoke_reason TEXT,
      previous_key_hash TEXT UNIQUE,
      previous_key_expires_at INTEGER,
      last_used INTEGER,
      usage_count INTEGER NOT NULL DEFAULT 0,
      rate_limit INTEGER NOT NULL DEFAULT 100,
      rate_window INTEGER NOT NULL DEFAULT 3600,
      metadata TEXT,
      last_position INTEGER NOT NULL,
      last_usage_position INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX IF NOT EXISTS ${t.apiKeys}_by_user ON ${t.apiKeys} (user_id, created_at, key_id);

    CREATE TABLE IF NOT EXISTS ${t.users} (
      user_id TEXT PRIMARY KEY,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_sign_in_at INTEGER,
      last_position INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE IF NOT EXISTS ${t.usageLogs} (
      id INTEGER PRIMARY KEY, -- the event's global position, so that a replay writes the same rows
      key_id TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      timestamp INTEGER NOT NULL,
      ip_address TEXT,
      user_agent TEXT,
      success INTEGER NOT NULL,
      error_message TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS ${t.usageLogs}_by_key_time ON ${t.usageLogs} (key_id, timestamp);
    CREATE INDEX IF NOT EXISTS ${t.usageLogs}_by_time ON ${t.usageLogs} (timestamp);

    CREATE TABLE IF NOT EXISTS ${t.usageRollups} (
      key_id TEXT NOT NULL,
      granularity TEXT NOT NULL, -- 'hour' or 'day', UTC
      bucket_start INTEGER NOT NULL,
      endpoint TEXT NOT NULL,
      successes INTEGER NOT NULL,
      failures INTEGER NOT NULL,
      rate_limited INTEGER NOT NULL,
      PRIMARY KEY (key_id, granularity, bucket_start, endpoint)
    ) STRICT, WITHOUT ROWID;
  `);
}

export function dropProjectionTables(db: Database, t: ProjectionTables): void {
  for (const table of Object.values(t)) db.exec(`DROP TABLE IF EXISTS ${table}`);
}

/**
 * Moves the tables filled under `prefix` into the live names. Indexes follow a renamed table under their
 * old names, so they are dropped and made again under the live names.
 */
export function swapInProjectionTables(db: Database, prefix: string): void {
  if (!/^[a-z_]+_$/.test(prefix)) throw new Error(`not a projection table prefix: ${prefix}`);
  const from = tablesWithPrefix(prefix);
  dropProjectionTables(db, LIVE_TABLES);
  for (const key of Object.keys(LIVE_TABLES) as (keyof ProjectionTables)[]) {
    db.exec(`ALTER TABLE ${from[key]} RENAME TO ${LIVE_TABLES[key]}`);
  }
  const stale = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND substr(name, 1, ?) = ?`,
    )
    .pluck()
    .all(prefix.length, prefix) as string[];
  for (const name of stale) db.exec(`DROP INDEX ${name}`);
  createProjectionTables(db, LIVE_TABLES);
}
