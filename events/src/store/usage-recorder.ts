import type { Database } from 'better-sqlite3';
import {
  eventMetadataSchema,
  keyUsed,
  keyUsageStreamId,
  type EventMetadata,
  type KeyUsedData,
} from '../catalogue/index.js';
import type { Projector } from '../projections/projector.js';
import type { EventWriter, PendingEvent } from './append.js';

export interface UsageRecorderOptions {
  /** The longest a recorded use waits in memory before it is written (default 5 ms). */
  flushIntervalMs?: number;
  /** A flush starts as soon as this many uses are waiting (default 1000). */
  maxBatch?: number;
  /**
   * While the database refuses writes (disk full, locked by another process), at most this many uses
   * wait (default 100,000); further ones are dropped and counted in `usageStats().dropped`.
   */
  maxBuffered?: number;
  /** How long to wait before retrying after a failed flush (default 250 ms). */
  retryIntervalMs?: number;
  /** Told about every failed flush; the uses stay buffered and are retried. */
  onError?: (error: unknown) => void;
}

export interface UsageStats {
  buffered: number;
  written: number;
  dropped: number;
}

const NO_METADATA: EventMetadata = Object.freeze({});

const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

/**
 * Checks a use by hand rather than with zod: this runs once per verified request. It copies the fields
 * too, so a caller that later mutates its object cannot change what is written, and extra properties
 * never reach the log. A use that would fail later, inside a batch, would hold back every use after it.
 */
function copyUse(d: KeyUsedData): KeyUsedData {
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.key_id !== 'string' ||
    typeof d.endpoint !== 'string' ||
    typeof d.success !== 'boolean' ||
    !isNullableString(d.ip) ||
    !isNullableString(d.user_agent) ||
    !isNullableString(d.error_code)
  ) {
    throw new TypeError(
      'key.used: key_id and endpoint must be strings, success a boolean, the rest string or null',
    );
  }
  return {
    key_id: d.key_id,
    endpoint: d.endpoint,
    ip: d.ip,
    user_agent: d.user_agent,
    success: d.success,
    error_code: d.error_code,
  };
}

/**
 * Group commit for `key.used`: uses are buffered and written, with their projection updates, in one
 * transaction every few milliseconds or every `maxBatch` uses. Their commits run with
 * synchronous=NORMAL, so a power loss can take the last flushes; a process crash loses at most what was
 * still in the buffer. A failed flush keeps its uses, in order, for the next attempt.
 */
/**
 * Uses carry at most a request id: that common case is checked by hand, as `copyUse` does, since a zod
 * parse on every verification costs more than the rest of recording it.
 */
function copyMetadata(metadata: EventMetadata): EventMetadata {
  const id = metadata.request_id;
  const keys = Object.keys(metadata);
  if (keys.length === 1 && typeof id === 'string' && id.length <= 200) return { request_id: id };
  return eventMetadataSchema.parse(metadata);
}

export function usageRecorder(
  db: Database,
  writer: EventWriter,
  projector: Projector,
  clock: () => number,
  options: UsageRecorderOptions = {},
) {
  const flushIntervalMs = options.flushIntervalMs ?? 5;
  const maxBatch = options.maxBatch ?? 1000;
  const maxBuffered = options.maxBuffered ?? 100_000;
  const retryIntervalMs = options.retryIntervalMs ?? 250;
  let buffer: PendingEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  // After a failed flush, only the retry timer (or an explicit flush) tries again: retrying on every
  // recorded use would run a doomed transaction per request while the disk is full.
  let failing = false;
  let closed = false;
  let dropped = 0;
  let written = 0;
  let lastError: unknown = null;

  const commitBatch = db.transaction((batch: PendingEvent[]) => {
    projector.applyAll(writer.write(batch));
  });

  const schedule = (delay: number) => {
    if (timer) return;
    timer = setTimeout(onTimer, delay);
    timer.unref();
  };

  const flush = (): number => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (buffer.length === 0 || !db.open) return 0;
    if (db.inTransaction) {
      // Called from inside a caller's transaction (which could still roll back, and in which the
      // synchronous level cannot change): write right after it instead.
      schedule(0);
      return 0;
    }
    const batch = buffer;
    buffer = [];
    try {
      db.pragma('synchronous = NORMAL');
      commitBatch.immediate(batch);
      written += batch.length;
      failing = false;
      return batch.length;
    } catch (error) {
      buffer = batch.concat(buffer);
      failing = true;
      lastError = error;
      options.onError?.(error);
      if (!closed && db.open) schedule(retryIntervalMs);
      return 0;
    } finally {
      // Lifecycle appends on this connection must be back at FULL before anything else runs.
      if (db.open) db.pragma('synchronous = FULL');
    }
  };

  function onTimer() {
    timer = null;
    try {
      flush();
    } catch (error) {
      options.onError?.(error);
    }
  }

  return {
    record(data: KeyUsedData, metadata?: EventMetadata): void {
      if (closed) throw new Error('the event store is closed');
      const use: PendingEvent = {
        stream_id: keyUsageStreamId(data.key_id),
        type: keyUsed.type,
        schema_version: keyUsed.version,
        data: copyUse(data),
        metadata: metadata === undefined ? NO_METADATA : copyMetadata(metadata),
        recorded_at: clock(),
      };
      if (!Number.isSafeInteger(use.recorded_at)) throw new TypeError('the clock must return integer ms');
      if (buffer.length >= maxBuffered) {
        dropped++;
        return;
      }
      buffer.push(use);
      if (!failing && buffer.length >= maxBatch) flush();
      else schedule(failing ? retryIntervalMs : flushIntervalMs);
    },

    flush,

    /** Writes what is buffered and refuses further uses. Throws, and stays usable, if the write fails. */
    close(): void {
      flush();
      if (buffer.length > 0) {
        throw new Error(`${buffer.length} buffered uses could not be written; close again to retry`, {
          cause: lastError,
        });
      }
      closed = true;
    },

    stats: (): UsageStats => ({ buffered: buffer.length, written, dropped }),
  };
}
export type UsageRecorder = ReturnType<typeof usageRecorder>;
