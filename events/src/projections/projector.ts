import type { Database } from 'better-sqlite3';
import { isKeyLifecycleEventType, isUserEventType } from '../catalogue/index.js';
import type { RecordedEvent, RecordedEventOf } from '../store/recorded-event.js';
import { apiKeysProjection } from './api-keys.js';
import type { ProjectionTables } from './tables.js';
import { usageProjection } from './usage.js';
import { usersProjection } from './users.js';

export interface ProjectorOptions {
  /** Uses recorded before this time are counted in the rollups but not kept as raw log rows. */
  usageLogCutoff: () => number;
}

/**
 * Applies recorded events to one set of projection tables. Every projection skips an event it has
 * already applied, so applying the same events twice changes nothing.
 */
export function createProjector(db: Database, tables: ProjectionTables, options: ProjectorOptions) {
  const apiKeys = apiKeysProjection(db, tables.apiKeys);
  const users = usersProjection(db, tables.users);
  const usage = usageProjection(db, tables);
  let pendingUses = new Map<string, RecordedEventOf<'key.used'>[]>();

  /** Uses are applied a key at a time, so a burst of uses costs one row write per key. */
  const flushUses = () => {
    if (pendingUses.size === 0) return;
    const cutoff = options.usageLogCutoff();
    for (const [keyId, uses] of pendingUses) usage.add(apiKeys.applyUsage(keyId, uses), cutoff);
    usage.commit();
    pendingUses = new Map();
  };

  return {
    /** Applies events in position order. Call `finish()` before the transaction commits. */
    apply(event: RecordedEvent): void {
      if (event.type === 'key.used') {
        const list = pendingUses.get(event.data.key_id);
        if (list) list.push(event);
        else pendingUses.set(event.data.key_id, [event]);
      } else if (isKeyLifecycleEventType(event.type)) {
        apiKeys.apply(event as RecordedEventOf<typeof event.type>);
      } else if (isUserEventType(event.type)) {
        users.apply(event as RecordedEventOf<typeof event.type>);
      }
    },
    finish: flushUses,
  };
}
export type Projector = ReturnType<typeof createProjector>;
