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
      const written = writer.write(
        prepareEvents(streamId, events, metadata, clock()),
        new Map([[streamId, actual]]),
      );
      for (const e of written) projector.apply(e);
      projector.finish();
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
  const readAllStmt = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  );
  const pruneStmt = db.prepare('DELETE FROM key_usage_logs WHERE timestamp < ?');

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
      const rows = readStreamStmt.all(
        streamId,
        opts.toPosition ?? Number.MAX_SAFE_INTEGER,
        opts.toTime ?? Number.MAX_SAFE_INTEGER,
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

    /** Deletes raw usage rows past the retention period; the rollups keep their counts. */
    pruneUsageLogs(): number {
      return pruneStmt.run(usageLogCutoff()).changes;
    },

    /** Drains the usage buffer and closes the database. */
    close(): void {
      if (!db.open) return;
      usage.flush();
      db.close();
    },
  };
}
