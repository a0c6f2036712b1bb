import type { Database } from 'better-sqlite3';
import type { EventMetadata, KeyUsedData, NewEvent } from '../catalogue/index.js';
import { createProjector } from '../projections/projector.js';
import { LIVE_TABLES } from '../projections/tables.js';
import {
  checkExpectedVersion,
  eventWriter,
  prepareEvents,
  type AppendResult,
  type ExpectedVersion,
} from './append.js';
import { openDatabase } from './open-database.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow, type RecordedEvent } from './recorded-event.js';
import { createSchema } from './schema.js';
import { usageRecorder, type UsageRecorderOptions } from './usage-recorder.js';

export const DEFAULT_USAGE_RETENTION_DAYS = 365;
const DAY_MS = 86_400_000;

export interface EventStoreOptions {
  /** A database file path, or ':memory:'. */
  path: string;
  /** Milliseconds since the epoch; injected so tests can move time. */
  clock?: () => number;
  usage?: UsageRecorderOptions;
  /** How long raw usage rows are kept; rollups are kept for good. */
  usageRetentionDays?: number;
  busyTimeoutMs?: number;
}

export interface EventStore {
  readonly db: Database;
  readonly clock: () => number;
  append(
    streamId: string,
    expected: ExpectedVersion,
    events: NewEvent[],
    metadata?: EventMetadata,
  ): AppendResult;
  transaction<T>(fn: () => T): T;
  streamVersion(streamId: string): number;
  readStream(streamId: string, options?: ReadStreamOptions): RecordedEvent[];
  readAll(after?: number, limit?: number): RecordedEvent[];
  recordUsage(data: KeyUsedData, metadata?: EventMetadata): void;
  flush(): number;
  usageStats(): { buffered: number; written: number; dropped: number };
  usageLogCutoff(): number;
  pruneUsageLogs(): number;
  close(): void;
}

export interface ReadStreamOptions {
  /** Only events at or before this global position. */
  toPosition?: number;
  /** Only events recorded at or before this time (ms). */
  toTime?: number;
  /** Only the last this many of those (still in stream order): a key's recent uses, for example. */
  last?: number;
}

/**
 * The event store: the append-only log and the projections kept in step with it. Lifecycle appends are
 * committed (synchronous=FULL) before `append` returns; uses go through group commit.
 */
export function createEventStore(options: EventStoreOptions): EventStore {
  const clock = options.clock ?? Date.now;
  const retentionMs = (options.usageRetentionDays ?? DEFAULT_USAGE_RETENTION_DAYS) * DAY_MS;
  const db: Database = openDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs });
  createSchema(db);

  const writer = eventWriter(db);
  const usageLogCutoff = () => clock() - retentionMs;
  const projector = createProjector(db, LIVE_TABLES, { usageLogCutoff });
  const usage = usageRecorder(db, writer, projector, clock, options.usage);

  const appendTx = db.transaction(
    (
      streamId: string,
      expected: ExpectedVersion,
      events: NewEvent[],
      metadata: EventMetadata,
    ): AppendResult => {
      const actual = writer.streamVersion(streamId);
      if (!checkExpectedVersion(expected, actual)) {
        return { ok: false, error: 'VERSION_CONFLICT', streamId, expected, actual };
      }
      const written = writer.write(prepareEvents(streamId, actual, events, metadata, clock()));
      projector.applyAll(written);
      return {
        ok: true,
        positions: written.map((e) => e.position),
        streamVersion: actual + written.length,
        events: written,
      };
    },
  );

  const readStreamStmt = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND position <= ? AND recorded_at <= ? ORDER BY stream_position`,
  );
  const readStreamTailStmt = db.prepare(
    `SELECT * FROM (SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND position <= ? AND recorded_at <= ?
     ORDER BY stream_position DESC LIMIT ?) ORDER BY stream_position`,
  );
  const readAllStmt = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  );
  // Rows are in id (log) order, and so in time order, except for uses recorded while the clock was set
  // back: everything before the first row inside retention goes, and a straggler goes in a later prune.
  const firstKept = db
    .prepare<[number], number>('SELECT id FROM key_usage_logs WHERE timestamp >= ? ORDER BY id LIMIT 1')
    .pluck();
  const pruneBefore = db.prepare<[number]>('DELETE FROM key_usage_logs WHERE id < ?');
  const pruneAll = db.prepare('DELETE FROM key_usage_logs');

  return {
    db,
    clock,

    /**
     * Appends events to one stream if it is at the expected version, and updates the projections in the
     * same transaction. A mismatch is a `VERSION_CONFLICT` result, never an overwrite. Inside
     * `transaction()` it joins the caller's transaction.
     */
    append(
      streamId: string,
      expected: ExpectedVersion,
      events: NewEvent[],
      metadata: EventMetadata = {},
    ): AppendResult {
      return db.inTransaction
        ? appendTx(streamId, expected, events, metadata)
        : appendTx.immediate(streamId, expected, events, metadata);
    },

    /** Runs `fn` in one BEGIN IMMEDIATE transaction; appends inside it commit or roll back together. */
    transaction<T>(fn: () => T): T {
      return db.inTransaction ? fn() : db.transaction(fn).immediate();
    },

    streamVersion: (streamId: string): number => writer.streamVersion(streamId),

    readStream(streamId: string, opts: ReadStreamOptions = {}): RecordedEvent[] {
      const toPosition = opts.toPosition ?? Number.MAX_SAFE_INTEGER;
      const toTime = opts.toTime ?? Number.MAX_SAFE_INTEGER;
      const rows = (
        opts.last === undefined
          ? readStreamStmt.all(streamId, toPosition, toTime)
          : readStreamTailStmt.all(streamId, toPosition, toTime, opts.last)
      ) as EventRow[];
      return rows.map(toRecordedEvent);
    },

    readAll(after = 0, limit = 1000): RecordedEvent[] {
      return (readAllStmt.all(after, limit) as EventRow[]).map(toRecordedEvent);
    },

    /** Buffers a `key.used` event for the next group commit. */
    recordUsage: usage.record,
    /** Writes every buffered use now; returns how many were written. */
    flush: usage.flush,
    usageStats: usage.stats,
    usageLogCutoff,

    /**
     * Deletes raw usage rows past the retention period; the rollups keep their counts. Buffered uses
     * are not affected. Returns how many rows went.
     */
    pruneUsageLogs(): number {
      return db
        .transaction(() => {
          const keep = firstKept.get(usageLogCutoff());
          return (keep === undefined ? pruneAll.run() : pruneBefore.run(keep)).changes;
        })
        .immediate();
    },

    /**
     * Drains the usage buffer and closes the database. If the buffered uses cannot be written it throws
     * and leaves the store open, so that nothing is dropped silently; calling it again retries.
     */
    close(): void {
      if (!db.open) return;
      usage.close();
      db.close();
    },
  };
}
