import type { Database } from 'better-sqlite3';
import {
  applyUsage,
  keyLifecycleEvents,
  keyStreamId,
  keyUsageStreamId,
  type KeyState,
} from '../catalogue/index.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from '../store/recorded-event.js';

export interface AsOf {
  /** Milliseconds since the epoch; events recorded at or before it count. */
  time?: number;
  /** A global position; events at or before it count. */
  position?: number;
}

/**
 * What a key looked like at a time or position: its lifecycle stream folded with the same `evolve`
 * steps the `api_keys` projection uses, and its uses counted up to the same point.
 */
export function keyStateAsOf(db: Database, keyId: string, at: AsOf): KeyState | null {
  const toTime = at.time ?? Number.MAX_SAFE_INTEGER;
  const toPosition = at.position ?? Number.MAX_SAFE_INTEGER;
  const rows = db
    .prepare(
      `SELECT ${EVENT_COLUMNS} FROM events
       WHERE stream_id = ? AND position <= ? AND recorded_at <= ? ORDER BY stream_position`,
    )
    .all(keyStreamId(keyId), toPosition, toTime) as EventRow[];
  let state: KeyState | null = null;
  for (const row of rows) {
    const event = toRecordedEvent(row);
    if (event.type === 'key.used' || !(event.type in keyLifecycleEvents)) continue;
    const evolve = keyLifecycleEvents[event.type as keyof typeof keyLifecycleEvents].evolve as (
      s: KeyState | null,
      d: unknown,
      c: object,
    ) => KeyState | null;
    state = evolve(state, event.data, { recordedAt: event.recorded_at, position: event.position });
  }
  if (!state) return null;
  const usage = db
    .prepare(
      `SELECT count(*) AS count, max(recorded_at) AS last FROM events
       WHERE stream_id = ? AND position <= ? AND recorded_at <= ?`,
    )
    .get(keyUsageStreamId(keyId), toPosition, toTime) as { count: number; last: number | null };
  return applyUsage(state, usage.count, usage.last);
}
