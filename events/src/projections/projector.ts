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
  let cutoff = 0;

  const applyPendingUses = (keyId: string) => {
    const uses = pendingUses.get(keyId);
    if (!uses) return;
    pendingUses.delete(keyId);
    usage.add(keyId, apiKeys.applyUsage(keyId, uses), cutoff);
  };

  return {
    /**
     * Applies events in position order. Must run inside the write transaction that stores them (or, for
     * replay, the one that fills the fresh tables), so that a failure rolls back the tables too.
     *
     * Uses are gathered per key, so that a burst of uses costs one `api_keys` write per key; a key's
     * gathered uses are applied before its next lifecycle event, so the result is exactly that of
     * applying every event one by one in order.
     */
    applyAll(events: Iterable<ProjectedEvent>): void {
      cutoff = options.usageLogCutoff();
      try {
        for (const event of events) {
          if (event.type === 'key.used') {
            const list = pendingUses.get(event.data.key_id);
            if (list) list.push(event);
            else pendingUses.set(event.data.key_id, [event]);
          } else if (isKeyLifecycleEvent(event)) {
            applyPendingUses(event.data.key_id);
            apiKeys.apply(event);
          } else if (isUserEvent(event)) {
            users.apply(event);
          }
        }
        for (const keyId of pendingUses.keys()) applyPendingUses(keyId);
      } finally {
        // After a failure the transaction rolls back; nothing gathered for it may leak into the next one.
        pendingUses.clear();
      }
    },
  };
}
export type Projector = ReturnType<typeof createProjector>;
