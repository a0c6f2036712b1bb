import type { Database } from 'better-sqlite3';
import {
  eventCatalogue,
  eventMetadataSchema,
  isKeyLifecycleEvent,
  keyStreamId,
  keyUsageStreamId,
  type EventMetadata,
  type NewEvent,
} from '../catalogue/index.js';
import { chainHashOf, GENESIS_HASH } from './chain.js';
import { newEventId } from './event-id.js';
import type { RecordedEvent } from './recorded-event.js';

/** `no_stream` for a stream's first event, an exact version otherwise, `any` only where order is all that matters. */
export type ExpectedVersion = 'no_stream' | 'any' | number;

export type AppendResult =
  | { ok: true; positions: number[]; streamVersion: number; events: RecordedEvent[] }
  | { ok: false; error: 'VERSION_CONFLICT'; streamId: string; expected: ExpectedVersion; actual: number };

export interface PendingEvent {
  stream_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: number;
}

/** Past this many streams the version cache starts over, so that it cannot grow without bound. */
const MAX_CACHED_STREAMS = 100_000;

/** Prepared statements for writing to the log; one set per connection. */
export function eventWriter(db: Database) {
  const tail = db
    .prepare<[], [number, string]>('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1')
    .raw();
  const version = db
    .prepare<[string], number | null>('SELECT max(stream_position) FROM events WHERE stream_id = ?')
    .pluck();
  const insert = db.prepare<[string, number, string, string, number, string, string, number, string]>(
    `INSERT INTO events (stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  // Stream versions this connection has read or written. A group commit touches hundreds of usage
  // streams, and a lookup each costs as much as an insert. The cache is trusted only while the log
  // ends with the event this connection wrote last: a write by another connection, or a rollback of
  // ours, changes the tail (position and hash, so a position reused after a rollback is caught too).
  const versions = new Map<string, number>();
  let lastPosition = -1;
  let lastHash = '';

  return {
    streamVersion: (streamId: string): number => version.get(streamId) ?? 0,

    /**
     * Writes events in order, chaining each hash to the one before. Must run inside a write
     * transaction: the tail and the stream versions it reads are only stable under the lock.
     */
    write(pending: readonly PendingEvent[]): RecordedEvent[] {
      const [tailPosition, tailHash] = tail.get() ?? [0, GENESIS_HASH];
      if (tailPosition !== lastPosition || tailHash !== lastHash || versions.size > MAX_CACHED_STREAMS) {
        versions.clear();
      }
      let previous = tailHash;
      let position = tailPosition;
      const written: RecordedEvent[] = [];
      for (const p of pending) {
        const streamPosition = (versions.get(p.stream_id) ?? version.get(p.stream_id) ?? 0) + 1;
        const eventId = newEventId();
        const data = JSON.stringify(p.data);
        const metadata = JSON.stringify(p.metadata);
        const hash = chainHashOf(
          previous,
          p.stream_id,
          streamPosition,
          eventId,
          p.type,
          p.schema_version,
          data,
          metadata,
          p.recorded_at,
        );
        position = Number(
          insert.run(
            p.stream_id,
            streamPosition,
            eventId,
            p.type,
            p.schema_version,
            data,
            metadata,
            p.recorded_at,
            hash,
          ).lastInsertRowid,
        );
        versions.set(p.stream_id, streamPosition);
        previous = hash;
        written.push({
          position,
          stream_id: p.stream_id,
          stream_position: streamPosition,
          event_id: eventId,
          type: p.type,
          schema_version: p.schema_version,
          data: p.data,
          metadata: p.metadata,
          recorded_at: p.recorded_at,
          hash,
        } as RecordedEvent);
      }
      lastPosition = position;
      lastHash = previous;
      return written;
    },
  };
}
export type EventWriter = ReturnType<typeof eventWriter>;

/**
 * Validates new events against the catalogue; the log only ever holds data its schemas accept. A key's
 * events must sit in that key's streams: the as-of fold reads a key's stream by name, while the
 * projection goes by the `key_id` in the data, and the two must agree. These are a caller's bugs, so
 * they throw.
 */
export function prepareEvents(
  streamId: string,
  streamVersion: number,
  events: NewEvent[],
  metadata: EventMetadata,
  recordedAt: number,
): PendingEvent[] {
  const meta = eventMetadataSchema.parse(metadata);
  return events.map((e, i) => {
    const definition = eventCatalogue[e.type];
    const data = definition.schema.parse(e.data);
    const keyStream =
      e.type === 'key.used'
        ? keyUsageStreamId(e.data.key_id)
        : isKeyLifecycleEvent(e)
          ? keyStreamId(e.data.key_id)
          : null;
    if (keyStream !== null && keyStream !== streamId) {
      throw new Error(`${e.type} belongs in stream ${keyStream}, not ${streamId}`);
    }
    // A creation folds from nothing: a second one would silently reset the key or the account.
    if ((e.type === 'key.created' || e.type === 'user.registered') && streamVersion + i !== 0) {
      throw new Error(`${e.type} must open its stream; ${streamId} is at version ${streamVersion + i}`);
    }
    return {
      stream_id: streamId,
      type: e.type,
      schema_version: definition.version,
      data,
      metadata: meta,
      recorded_at: recordedAt,
    };
  });
}

export function checkExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}
