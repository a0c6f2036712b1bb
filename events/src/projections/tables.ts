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

/** Fresh tables for a replay, under a prefix, optionally in another schema (`temp` for a check). */
export const replayTables = (prefix: string, schema = 'main'): ProjectionTables => {
  if (!/^[a-z_]+_$/.test(prefix) || !/^[a-z]+$/.test(schema)) throw new Error('not a replay table prefix');
  return {
    apiKeys: `${schema}.${prefix}api_keys`,
    users: `${schema}.${prefix}users`,
    usageLogs: `${schema}.${prefix}key_usage_logs`,
    usageRollups: `${schema}.${prefix}key_usage_rollups`,
  };
};

/** Primary-key columns per table, for naming the rows a replay check finds different. */
export const PRIMARY_KEYS: Record<keyof ProjectionTables, string[]> = {
  apiKeys: ['key_id'],
  users: ['user_id'],
  usageLogs: ['id'],
  usageRollups: ['granularity', 'bucket_start', 'key_id', 'endpoint'],
};

/**
 * Creates the tables without their secondary indexes: a replay fills them faster without, and the
 * projections themselves only look rows up by primary key. `createProjectionIndexes` adds them.
 */
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

    -- Clustered by bucket first: a flush adds to the current hour's and day's rows, which then sit
    -- together on a few pages instead of one page per key. Reads by key go through the index below,
    -- which changes only when a bucket's row is first made, not on every increment.
    CREATE TABLE IF NOT EXISTS ${t.usageRollups} (
      granularity TEXT NOT NULL, -- 'hour' or 'day', UTC
      bucket_start INTEGER NOT NULL,
      key_id TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      successes INTEGER NOT NULL,
      failures INTEGER NOT NULL,
      rate_limited INTEGER NOT NULL,
      PRIMARY KEY (granularity, bucket_start, key_id, endpoint)
    ) STRICT, WITHOUT ROWID;
  `);
}

/**
 * The live tables' secondary indexes, for the server's queries. `key_usage_logs` has none on purpose:
 * every use inserts a row there, and each index would add a B-tree insert to every use in a group
 * commit. Its rows follow the log's order (id = position), which is also time order up to the flush
 * interval, so retention pruning goes by id; a key's recent uses are read from its usage stream, which
 * the log's (stream_id, stream_position) index already serves.
 */
export function createProjectionIndexes(db: Database): void {
  const t = LIVE_TABLES;
  db.exec(`
    CREATE INDEX IF NOT EXISTS ${t.apiKeys}_by_user ON ${t.apiKeys} (user_id, created_at, key_id);
    CREATE INDEX IF NOT EXISTS ${t.usageRollups}_by_key ON ${t.usageRollups} (key_id, granularity, bucket_start);
  `);
}

export function dropProjectionTables(db: Database, t: ProjectionTables): void {
  for (const table of Object.values(t)) db.exec(`DROP TABLE IF EXISTS ${table}`);
}

/**
 * Replaces the live tables with replayed ones in `main` (call inside a write transaction). A renamed
 * table keeps its constraints' automatic indexes, renamed with it; the secondary indexes are built
 * afterwards, in one pass over the filled tables.
 */
export function swapInProjectionTables(db: Database, replayed: ProjectionTables): void {
  dropProjectionTables(db, LIVE_TABLES);
  for (const key of Object.keys(LIVE_TABLES) as (keyof ProjectionTables)[]) {
    db.exec(`ALTER TABLE ${replayed[key]} RENAME TO ${LIVE_TABLES[key]}`);
  }
  createProjectionIndexes(db);
}
