import type { Database, Statement } from 'better-sqlite3';
import {
  applyUsage,
  isKeyLifecycleEvent,
  keyLifecycleEvents,
  keyStreamId,
  keyUsageStreamId,
  type KeyState,
} from '../catalogue/index.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from '../store/recorded-event.js';

export interface AsOf {
  /** Milliseconds since the epoch; the key's events up to the first one recorded after it count. */
  time?: number;
  /** A global position; events at or before it count. */
  position?: number;
}

interface AsOfStatements {
  lifecycle: Statement<[string, number], EventRow>;
  usage: Statement<[string, number, number, number], { count: number; last: number | null }>;
}

const statements = new WeakMap<Database, AsOfStatements>();

function statementsFor(db: Database): AsOfStatements {
  let s = statements.get(db);
  if (!s) {
    s = {
      lifecycle: db.prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND position <= ? ORDER BY stream_position`,
      ),
      usage: db.prepare(
        `SELECT count(*) AS count, max(recorded_at) AS last FROM events
         WHERE stream_id = ? AND position > ? AND position <= ? AND recorded_at <= ?`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

/**
 * What a key looked like at a time or position: its lifecycle stream folded with the same `evolve`
 * steps the `api_keys` projection uses, and its uses counted up to the same point.
 *
 * By time, the fold stops at the first event recorded after `time` rather than skipping it, so the
 * answer is a state the key really passed through even if the clock was set back between two events.
 * Uses count from the key's creation on, as in the projection, which has no row to count them in before.
 */
export function keyStateAsOf(db: Database, keyId: string, at: AsOf): KeyState | null {
  const toTime = at.time ?? Number.MAX_SAFE_INTEGER;
  const toPosition = at.position ?? Number.MAX_SAFE_INTEGER;
  const { lifecycle, usage } = statementsFor(db);
  let state: KeyState | null = null;
  let createdAt = 0;
  for (const row of lifecycle.all(keyStreamId(keyId), toPosition)) {
    if (row.recorded_at > toTime) break;
    const event = toRecordedEvent(row);
    if (!isKeyLifecycleEvent(event)) continue;
    const evolve = keyLifecycleEvents[event.type].evolve as (
      s: KeyState | null,
      d: typeof event.data,
      c: { recordedAt: number; position: number },
    ) => KeyState | null;
    const before: KeyState | null = state;
    state = evolve(state, event.data, { recordedAt: event.recorded_at, position: event.position });
    if (before === null && state !== null) createdAt = event.position;
  }
  if (!state) return null;
  const uses = usage.get(keyUsageStreamId(keyId), createdAt, toPosition, toTime);
  return uses ? applyUsage(state, uses.count, uses.last) : state;
}
