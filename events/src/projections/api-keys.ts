import type { Database } from 'better-sqlite3';
import { keyLifecycleEvents, type KeyState } from '../catalogue/index.js';
import type { ProjectedEventOf } from '../store/recorded-event.js';
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

type Use = ProjectedEventOf<'key.used'>;
const lastOf = (uses: Use[]): Use => uses[uses.length - 1] as Use;
const lastUsedOf = (uses: Use[]): number => {
  let last = lastOf(uses).recorded_at;
  for (const u of uses) if (u.recorded_at > last) last = u.recorded_at;
  return last;
};

/** Keeps `api_keys` equal to the fold of every key's lifecycle and usage events, with the catalogue's `evolve`. */
export function apiKeysProjection(db: Database, table: string) {
  const select = db.prepare(`SELECT * FROM ${table} WHERE key_id = ?`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')})
     ON CONFLICT (key_id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'key_id')
       .map((c) => `${c} = excluded.${c}`)
       .join(', ')}`,
  );

  // The SQL twin of the catalogue's applyUsage (which the as-of fold uses; the as-of tests hold the two
  // equal): a narrow update, because it runs for every busy key in every group commit. The first form
  // applies a run only if none of it was applied before, which live is always so.
  const addNewUses = db.prepare<[number, number, number, string, number]>(
    `UPDATE ${table} SET usage_count = usage_count + ?, last_used = max(coalesce(last_used, 0), ?),
       last_usage_position = ? WHERE key_id = ? AND last_usage_position < ?`,
  );
  const usagePosition = db
    .prepare<[string], number>(`SELECT last_usage_position FROM ${table} WHERE key_id = ?`)
    .pluck();

  const write = (state: KeyState, lastPosition: number, lastUsagePosition: number) =>
    upsert.run({
      ...state,
      metadata: state.metadata === null ? null : JSON.stringify(state.metadata),
      last_position: lastPosition,
      last_usage_position: lastUsagePosition,
    });

  return {
    apply(event: ProjectedEventOf<KeyLifecycleEventType>): void {
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
      // Uses count from the creation on: a use recorded before it never counts, live or replayed.
      if (next) write(next, event.position, row?.last_usage_position ?? event.position);
    },

    /**
     * Applies a run of one key's uses, in position order, in one write, skipping those applied before.
     * Returns the uses that were new, so that the usage tables count each event once.
     */
    applyUsage(keyId: string, uses: ProjectedEventOf<'key.used'>[]): ProjectedEventOf<'key.used'>[] {
      const first = uses[0];
      if (!first) return [];
      if (
        addNewUses.run(uses.length, lastUsedOf(uses), lastOf(uses).position, keyId, first.position).changes
      ) {
        return uses;
      }
      // No row for the key, or some of the run applied already (a replay over filled tables).
      const applied = usagePosition.get(keyId);
      if (applied === undefined) return [];
      const fresh = uses.filter((u) => u.position > applied);
      if (fresh.length === 0) return [];
      addNewUses.run(fresh.length, lastUsedOf(fresh), lastOf(fresh).position, keyId, applied + 1);
      return fresh;
    },
  };
}
