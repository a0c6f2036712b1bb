import type { Database } from 'better-sqlite3';
import { isKeyLifecycleEvent, isUserEvent } from '../catalogue/index.js';
import type { ProjectedEvent, ProjectedEventOf } from '../store/recorded-event.js';
import { apiKeysProjection } from './api-keys.js';
import type { ProjectionTables } from './tables.js';
import { usageProjection } from './usage.js';
import { usersProjection } from './users.js';

export interface ProjectorOptions {
  /** Uses recorded before this time are counted in the rollups but not kept as raw log rows. */
  usageLogCutoff: () => number;
  /**
   * Whether to keep the daily rollups too (default). A replay leaves them out and sums the hourly
   * rows into them once at the end (`rollUpDays`), which comes to the same rows for less work.
   */
  dailyRollups?: boolean;
}

/**
 * Applies recorded events to one set of projection tables. Every projection skips an event it has
 * already applied, so applying the same events twice changes nothing.
 */
export function createProjector(db: Database, tables: ProjectionTables, options: ProjectorOptions) {
  const apiKeys = apiKeysProjection(db, tables.apiKeys);
  const users = usersProjection(db, tables.users);
  const usage = usageProjection(db, tables, { daily: options.dailyRollups ?? true });
  const pendingUses = new Map<string, ProjectedEventOf<'key.used'>[]>();

  return {
    /**
     * Applies events in position order. Must run inside the write transaction that stores them (or, for
     * replay, the one that fills the fresh tables), so that a failure rolls back the tables too.
     *
     * Uses are gathered per key and applied after the batch's other events, so that a burst of uses
     * costs one `api_keys` write per key. The result is the same as applying every event in order:
     * lifecycle events never touch the usage columns, and a use from before its key's creation is
     * recognised by its position (see `apiKeysProjection`), whenever it is applied.
     */
    applyAll(events: Iterable<ProjectedEvent>): void {
      try {
        for (const event of events) {
          if (event.type === 'key.used') {
            const list = pendingUses.get(event.data.key_id);
            if (list) list.push(event);
            else pendingUses.set(event.data.key_id, [event]);
          } else if (isKeyLifecycleEvent(event)) {
            apiKeys.apply(event);
          } else if (isUserEvent(event)) {
            users.apply(event);
          }
        }
        const cutoff = options.usageLogCutoff();
        for (const [keyId, uses] of pendingUses) usage.add(keyId, apiKeys.applyUsage(keyId, uses), cutoff);
      } finally {
        // After a failure the transaction rolls back; nothing gathered for it may leak into the next one.
        pendingUses.clear();
      }
    },
  };
}
export type Projector = ReturnType<typeof createProjector>;
