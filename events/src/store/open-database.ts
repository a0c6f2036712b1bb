import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface OpenDatabaseOptions {
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/**
 * Opens the database in WAL mode with synchronous=FULL: a lifecycle commit is on disk when append
 * returns. The usage path lowers it to NORMAL around its own flushes (see usage-recorder.ts).
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path, { readonly: options.readonly ?? false });
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  // 64 MiB of page cache: the log's stream index and the projections' hot pages stay in memory.
  db.pragma('cache_size = -65536');
  // Checkpoint every ~40 MB of WAL rather than every 4 MB: a group commit dirties hundreds of index
  // pages, and the same pages again in the next flush; a rarer checkpoint copies each of them back once.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  return db;
}
