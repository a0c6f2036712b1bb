import type { Database } from 'better-sqlite3';
import { keyUsed, keyUsageStreamId, type EventMetadata, type KeyUsedData } from '../catalogue/index.js';
import type { EventWriter, PendingEvent } from './append.js';
import type { Projector } from '../projections/projector.js';

export interface UsageRecorderOptions {
  /** The longest a recorded use waits in memory before it is written. */
  flushIntervalMs?: number;
  /** A flush starts as soon as this many uses are waiting. */
  maxBatch?: number;
  /** While the database refuses writes (disk full), at most this many uses wait; older ones are dropped and counted. */
  maxBuffered?: number;
  onError?: (error: unknown) => void;
}

/**
 * Group commit for `key.used`: uses are buffered and written, with their projection updates, in one
 * transaction every few milliseconds. Their commits run with synchronous=NORMAL, so a power loss can
 * take the last flushes; a process crash loses at most what was still in the buffer.
 */
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
  let buffer: PendingEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  let dropped = 0;
  let written = 0;

  const commitBatch = db.transaction((batch: PendingEvent[]) => {
    const events = writer.write(batch, new Map());
    for (const e of events) projector.apply(e);
    projector.finish();
  });

  const flush = (): number => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (buffer.length === 0) return 0;
    const batch = buffer;
    buffer = [];
    try {
      db.pragma('synchronous = NORMAL');
      commitBatch.immediate(batch);
      written += batch.length;
      return batch.length;
    } catch (error) {
      buffer = batch.concat(buffer);
      if (buffer.length > maxBuffered) {
        dropped += buffer.length - maxBuffered;
        buffer = buffer.slice(buffer.length - maxBuffered);
      }
      options.onError?.(error);
      schedule(Math.max(flushIntervalMs, 250));
      return 0;
    } finally {
      db.pragma('synchronous = FULL');
    }
  };

  const schedule = (delay: number) => {
    if (timer) return;
    timer = setTimeout(flush, delay);
    timer.unref();
  };

  return {
    record(data: KeyUsedData, metadata: EventMetadata = {}): void {
      buffer.push({
        stream_id: keyUsageStreamId(data.key_id),
        type: keyUsed.type,
        schema_version: keyUsed.version,
        data,
        metadata,
        recorded_at: clock(),
      });
      if (buffer.length >= maxBatch) flush();
      else schedule(flushIntervalMs);
    },
    flush,
    stats: () => ({ buffered: buffer.length, written, dropped }),
  };
}
export type UsageRecorder = ReturnType<typeof usageRecorder>;
