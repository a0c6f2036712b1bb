import type { Database } from 'better-sqlite3';
import { createProjectionIndexes, createProjectionTables, LIVE_TABLES } from '../projections/tables.js';

export function createEventLog(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      position INTEGER PRIMARY KEY AUTOINCREMENT,
      stream_id TEXT NOT NULL,
      stream_position INTEGER NOT NULL,
      event_id TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL,
      schema_version INTEGER NOT NULL,
      data TEXT NOT NULL,
      metadata TEXT NOT NULL,
      recorded_at INTEGER NOT NULL,
      hash TEXT NOT NULL,
      UNIQUE (stream_id, stream_position)
    ) STRICT;

    CREATE TRIGGER IF NOT EXISTS events_are_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is not allowed'); END;

    CREATE TRIGGER IF NOT EXISTS events_are_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE is not allowed'); END;
  `);
}

export function createSchema(db: Database): void {
  db.transaction(() => {
    createEventLog(db);
    createProjectionTables(db, LIVE_TABLES);
    createProjectionIndexes(db);
  }).immediate();
}
