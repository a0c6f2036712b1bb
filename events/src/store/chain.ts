import type { Database } from 'better-sqlite3';
import { hash } from 'node:crypto';

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
  return chainHashOf(
    previousHash,
    e.stream_id,
    e.stream_position,
    e.event_id,
    e.type,
    e.schema_version,
    e.data,
    e.metadata,
    e.recorded_at,
  );
}

/** `chainHash` over loose columns, for the writer and the verifier, which have them at hand. */
export function chainHashOf(
  previousHash: string,
  streamId: string,
  streamPosition: number,
  eventId: string,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
  recordedAt: number,
): string {
  const content = JSON.stringify([
    streamId,
    streamPosition,
    eventId,
    type,
    schemaVersion,
    data,
    metadata,
    recordedAt,
  ]);
  return hash('sha256', previousHash + content, 'hex');
}

export type ChainVerification =
  | { ok: true; events: number; head: string; headPosition: number }
  | { ok: false; events: number; position: number; reason: string };

/**
 * A head hash kept outside the database (a log line, a backup manifest, another machine). The chain
 * alone cannot tell a log cut short from one that ended there; an anchor can.
 */
export interface ChainAnchor {
  position: number;
  hash: string;
}

const missing = (events: number, position: number, reason: string): ChainVerification => ({
  ok: false,
  events,
  position,
  reason,
});

/**
 * Walks the whole log and reports the first position whose stored hash does not follow from its
 * predecessor, or where an event is missing: a gap in the positions, events handed out by AUTOINCREMENT
 * but no longer there at the end, or fewer events than `anchor` vouches for.
 */
export function verifyChain(db: Database, anchor?: ChainAnchor): ChainVerification {
  // One read transaction for the walk and the sequence check: an append committing between the two
  // would otherwise look like events missing from the end.
  return db.transaction(() => walkChain(db, anchor)).deferred();
}

function walkChain(db: Database, anchor?: ChainAnchor): ChainVerification {
  const rows = db
    .prepare(
      `SELECT position, stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash
       FROM events ORDER BY position`,
    )
    .raw();
  let previous = GENESIS_HASH;
  let count = 0;
  for (const r of rows.iterate() as IterableIterator<
    [number, string, number, string, string, number, string, string, number, string]
  >) {
    const position = r[0];
    const stored = r[9];
    count++;
    if (position !== count) return missing(count, count, `event ${count} is missing`);
    const expected = chainHashOf(previous, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
    if (expected !== stored) {
      return missing(
        count,
        position,
        `stored hash ${stored.slice(0, 12)}… does not match ${expected.slice(0, 12)}…`,
      );
    }
    if (anchor && position === anchor.position && stored !== anchor.hash) {
      return missing(count, position, `event ${position} does not match the anchored hash`);
    }
    previous = stored;
  }
  if (anchor && count < anchor.position) {
    return missing(count, count + 1, `the log ends at ${count}, before the anchor at ${anchor.position}`);
  }
  // AUTOINCREMENT never hands a position out twice, and a rolled-back insert gives its position back; so
  // a sequence ahead of the last event means events at the end were deleted (unless it was edited too).
  const handedOut =
    (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).pluck().get() as
      number | undefined) ?? 0;
  if (handedOut > count) {
    return missing(count, count + 1, `events ${count + 1} to ${handedOut} are missing from the end`);
  }
  return { ok: true, events: count, head: previous, headPosition: count };
}
