import type { Database } from 'better-sqlite3';
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedContent {
  stream_id: string;
  stream_position: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: number;
}

/** SHA-256 over the previous event's hash and this event's stored columns, in a fixed order. */
export function chainHash(previousHash: string, e: ChainedContent): string {
  return createHash('sha256')
    .update(previousHash)
    .update(
      JSON.stringify([
        e.stream_id,
        e.stream_position,
        e.event_id,
        e.type,
        e.schema_version,
        e.data,
        e.metadata,
        e.recorded_at,
      ]),
    )
    .digest('hex');
}

export type ChainVerification =
  | { ok: true; events: number; head: string }
  | { ok: false; events: number; position: number; reason: string };

/** Walks the whole log and reports the first position whose stored hash does not follow from its predecessor. */
export function verifyChain(db: Database): ChainVerification {
  const rows = db.prepare(
    `SELECT position, stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash
     FROM events ORDER BY position`,
  );
  let previous = GENESIS_HASH;
  let count = 0;
  let expectedPosition = 1;
  for (const row of rows.iterate() as IterableIterator<ChainedContent & { position: number; hash: string }>) {
    count++;
    if (row.position !== expectedPosition) {
      return {
        ok: false,
        events: count,
        position: expectedPosition,
        reason: `event ${expectedPosition} is missing`,
      };
    }
    const expected = chainHash(previous, row);
    if (expected !== row.hash) {
      return {
        ok: false,
        events: count,
        position: row.position,
        reason: `stored hash ${row.hash.slice(0, 12)}… does not match ${expected.slice(0, 12)}…`,
      };
    }
    previous = row.hash;
    expectedPosition++;
  }
  return { ok: true, events: count, head: previous };
}
