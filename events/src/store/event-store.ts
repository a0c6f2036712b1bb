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
import { usageRecorder, type UsageRecorderOptions, type UsageStats } from './usage-recorder.js';

export const DEFAULT_USAGE_RETENTION_DAYS = 365;
const DAY_MS = 86_400_000;

export interface EventStoreOptions {
  /** A database file path, or ':memory:'. */
  path: string;
  /** Milliseconds since the epoch, integers; injected so tests can move time. */
  clock?: () => number;
  /** Group commit of `key.used` (flush interval, batch size, buffer bound, error hook). */
  usage?: UsageRecorderOptions;
  /** How long raw usage rows are kept (default 365 days); rollups are kept for good. */
  usageRetentionDays?: number;
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
}

/**
 * The append-only log and the projections kept in step with it. See events/README.md for the model
 * and for what each kind of write promises.
 *
 * @example
 * const store = createEventStore({ path: './data/keyledger.db' });
 * const result = store.append(keyStreamId(keyId), 'no_stream', [{ type: 'key.created', data }], meta);
 * if (!result.ok) return conflict(result.actual);
 * store.recordUsage({ key_id: keyId, endpoint: '/query', ip, user_agent, success: true, error_code: null });
 * store.close(); // drains buffered uses
 */
export interface EventStore {
  /** The connection, for reading projections. Never write to the projection tables or `events` directly. */
  readonly db: Database;
  readonly clock: () => number;
  /**
   * Appends events to one stream if it is at `expected` ('no_stream' or 0 for a new stream, an exact
   * version, or 'any'), projecting them in the same BEGIN IMMEDIATE transaction; committed with
   * synchronous=FULL before it returns. A mismatch is a `VERSION_CONFLICT` result. Invalid data, a
   * key's event outside its own streams, or a creation event that does not open its stream throws.
   */
  append(
    streamId: string,
    expected: ExpectedVersion,
    events: NewEvent[],
    metadata?: EventMetadata,
  ): AppendResult;
  /** Runs `fn` in one BEGIN IMMEDIATE transaction; appends inside it commit or roll back together. */
  transaction<T>(fn: () => T): T;
  /** The stream's last stream position; 0 when it has no events. */
  streamVersion(streamId: string): number;
  /** A stream's events in order, data upcast to the current schema versions. */
  readStream(streamId: string, options?: ReadStreamOptions): RecordedEvent[];
  /** Events after a global position, in order, at most `limit` (default 1000). */
  readAll(after?: number, limit?: number): RecordedEvent[];
  /**
   * Buffers a `key.used` event for the next group commit; never touches the disk itself. Throws on a
   * malformed use, or after close.
   */
  recordUsage(data: KeyUsedData, metadata?: EventMetadata): void;
  /** Writes every buffered use now; returns how many were written (0 if the write failed). */
  flush(): number;
  usageStats(): UsageStats;
  /** The time before which raw usage rows fall out of retention. */
  usageLogCutoff(): number;
  /** Deletes raw usage rows past retention; returns how many. The rollups keep their counts. */
  pruneUsageLogs(): number;
  /** Drains buffered uses and closes; throws and stays open if they cannot be written. */
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

    // Inside transaction() an append joins the caller's transaction (as a savepoint).
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

    recordUsage: usage.record,
    flush: usage.flush,
    usageStats: usage.stats,
    usageLogCutoff,

    pruneUsageLogs(): number {
      return db
        .transaction(() => {
          const keep = firstKept.get(usageLogCutoff());
          return (keep === undefined ? pruneAll.run() : pruneBefore.run(keep)).changes;
        })
        .immediate();
    },

    // If the buffered uses cannot be written, close throws and leaves the store open, so that nothing is
    // dropped silently; calling it again retries.
    close(): void {
      if (!db.open) return;
      usage.close();
      db.close();
    },
  };
}
