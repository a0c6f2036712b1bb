import type { Database } from 'better-sqlite3';
import { userEvents, type UserEventType, type UserState } from '../catalogue/index.js';
import type { ProjectedEventOf } from '../store/recorded-event.js';

export interface UserRow extends UserState {
  last_position: number;
}

const COLUMNS = [
  'user_id',
  'username',
  'password_hash',
  'role',
  'created_at',
  'last_sign_in_at',
  'last_position',
];

export function usersProjection(db: Database, table: string) {
  const select = db.prepare(`SELECT * FROM ${table} WHERE user_id = ?`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')})
     ON CONFLICT (user_id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'user_id')
       .map((c) => `${c} = excluded.${c}`)
       .join(', ')}`,
  );

  return {
    apply(event: ProjectedEventOf<UserEventType>): void {
      const userId = event.data.user_id;
      if (userId === null) return; // a failed sign-in for a username with no account
      const row = select.get(userId) as UserRow | undefined;
      if (row && row.last_position >= event.position) return;
      const evolve = userEvents[event.type].evolve as (
        s: UserState | null,
        d: typeof event.data,
        c: object,
      ) => UserState | null;
      let state: UserState | null = null;
      if (row) {
        const { last_position: _p, ...rest } = row;
        state = rest;
      }
      const next = evolve(state, event.data, { recordedAt: event.recorded_at, position: event.position });
      if (next) upsert.run({ ...next, last_position: event.position });
    },
  };
}
