import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import {
  eventCatalogue,
  eventMetadataSchema,
  type EventMetadata,
  type NewEvent,
} from '../catalogue/index.js';
import { chainHash, GENESIS_HASH } from './chain.js';
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

/** Prepared statements for writing to the log; one set per connection. */
export function eventWriter(db: Database) {
  const tail = db.prepare('SELECT hash FROM events ORDER BY position DESC LIMIT 1').pluck();
  const version = db
    .prepare<[string], number | null>('SELECT max(stream_position) FROM events WHERE stream_id = ?')
    .pluck();
  const insert = db.prepare(
    `INSERT INTO events (stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  return {
    streamVersion: (streamId: string): number => version.get(streamId) ?? 0,

    /**
     * Writes events in order, chaining each hash to the one before. Must run inside a write
     * transaction: the tail and the stream versions it reads are only stable under the lock.
     */
    write(pending: PendingEvent[], streamVersions: Map<string, number>): RecordedEvent[] {
      let previous = (tail.get() as string | undefined) ?? GENESIS_HASH;
      const written: RecordedEvent[] = [];
      for (const p of pending) {
        let current = streamVersions.get(p.stream_id);
        if (current === undefined) current = version.get(p.stream_id) ?? 0;
        const row = {
          stream_id: p.stream_id,
          stream_position: current + 1,
          event_id: randomUUID(),
          type: p.type,
          schema_version: p.schema_version,
          data: JSON.stringify(p.data),
          metadata: JSON.stringify(p.metadata),
          recorded_at: p.recorded_at,
        };
        const hash = chainHash(previous, row);
        const info = insert.run(
          row.stream_id,
          row.stream_position,
          row.event_id,
          row.type,
          row.schema_version,
          row.data,
          row.metadata,
          row.recorded_at,
          hash,
        );
        streamVersions.set(p.stream_id, row.stream_position);
        previous = hash;
        written.push({
          ...row,
          position: Number(info.lastInsertRowid),
          data: p.data,
          metadata: p.metadata,
          hash,
        } as RecordedEvent);
      }
      return written;
    },
  };
}
export type EventWriter = ReturnType<typeof eventWriter>;

/** Validates new events against the catalogue; the log only ever holds data its schemas accept. */
export function prepareEvents(
  streamId: string,
  events: NewEvent[],
  metadata: EventMetadata,
  recordedAt: number,
): PendingEvent[] {
  const meta = eventMetadataSchema.parse(metadata);
  return events.map((e) => {
    const definition = eventCatalogue[e.type];
    return {
      stream_id: streamId,
      type: e.type,
      schema_version: definition.version,
      data: definition.schema.parse(e.data),
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
