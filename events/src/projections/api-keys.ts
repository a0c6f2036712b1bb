import type { Database } from 'better-sqlite3';
import { applyUsage, keyLifecycleEvents, type KeyState } from '../catalogue/index.js';
import type { RecordedEventOf } from '../store/recorded-event.js';
import type { KeyLifecycleEventType } from '../catalogue/index.js';

/** A row of `api_keys`: the key's state plus the positions that make re-applying an event a no-op. */
export interface ApiKeyRow extends Omit<KeyState, 'metadata'> {
  metadata: string | null;
  last_position: number;
  last_usage_position: number;
}

const COLUMNS = [
  'key_id',
  'key_prefix',
  'key_hash',
  'name',
  'description',
  'user_id',
  'scope',
  'status',
  'created_at',
  'updated_at',
  'expires_at',
  'revoked_at',
  'revoke_reason',
  'previous_key_hash',
  'previous_key_expires_at',
  'last_used',
  'usage_count',
  'rate_limit',
  'rate_window',
  'metadata',
  'last_position',
  'last_usage_position',
] as const;

export function keyStateFromRow(row: ApiKeyRow): KeyState {
  const { last_position: _p, last_usage_position: _u, metadata, ...rest } = row;
  return { ...rest, metadata: metadata === null ? null : (JSON.parse(metadata) as Record<string, unknown>) };
}

/** Keeps `api_keys` equal to the fold of every key's lifecycle and usage events, with the catalogue's `evolve`. */
export function apiKeysProjection(db: Database, table: string) {
  const select = db.prepare(`SELECT * FROM ${table} WHERE key_id = ?`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')})
     ON CONFLICT (key_id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'key_id')
       .map((c) => `${c} = excluded.${c}`)
       .join(', ')}`,
  );

  const write = (state: KeyState, lastPosition: number, lastUsagePosition: number) =>
    upsert.run({
      ...state,
      metadata: state.metadata === null ? null : JSON.stringify(state.metadata),
      last_position: lastPosition,
      last_usage_position: lastUsagePosition,
    });

  return {
    apply(event: RecordedEventOf<KeyLifecycleEventType>): void {
      const row = select.get(event.data.key_id) as ApiKeyRow | undefined;
      if (row && row.last_position >= event.position) return;
      const definition = keyLifecycleEvents[event.type];
      const evolve = definition.evolve as (
        s: KeyState | null,
        d: typeof event.data,
        c: object,
      ) => KeyState | null;
      const next = evolve(row ? keyStateFromRow(row) : null, event.data, {
        recordedAt: event.recorded_at,
        position: event.position,
      });
      if (next) write(next, event.position, row?.last_usage_position ?? 0);
    },

    /**
     * Applies a run of one key's uses, all after `lastUsagePosition` of the row, in one write.
     * Returns the uses that were new, so the usage tables count each event once.
     */
    applyUsage(keyId: string, uses: RecordedEventOf<'key.used'>[]): RecordedEventOf<'key.used'>[] {
      const row = select.get(keyId) as ApiKeyRow | undefined;
      if (!row) return [];
      const fresh = uses.filter((u) => u.position > row.last_usage_position);
      const last = fresh.at(-1);
      if (!last) return [];
      let lastUsed = 0;
      for (const u of fresh) if (u.recorded_at > lastUsed) lastUsed = u.recorded_at;
      write(applyUsage(keyStateFromRow(row), fresh.length, lastUsed), row.last_position, last.position);
      return fresh;
    },
  };
}
