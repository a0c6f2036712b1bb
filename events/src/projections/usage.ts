import type { Database } from 'better-sqlite3';
import type { RecordedEventOf } from '../store/recorded-event.js';
import type { ProjectionTables } from './tables.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const hourStart = (t: number) => t - (((t % HOUR) + HOUR) % HOUR);
export const dayStart = (t: number) => t - (((t % DAY) + DAY) % DAY);

type Use = RecordedEventOf<'key.used'>;

interface RollupDelta {
  key_id: string;
  granularity: 'hour' | 'day';
  bucket_start: number;
  endpoint: string;
  successes: number;
  failures: number;
  rate_limited: number;
}

/**
 * The raw usage log and its hourly and daily rollups. Analytics read the rollups, so a year of usage
 * is at most 365 rows per endpoint, whatever the traffic.
 */
export function usageProjection(db: Database, t: ProjectionTables) {
  const insertLog = db.prepare(
    `INSERT OR IGNORE INTO ${t.usageLogs} (id, key_id, endpoint, timestamp, ip_address, user_agent, success, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertRollup = db.prepare(
    `INSERT INTO ${t.usageRollups} (key_id, granularity, bucket_start, endpoint, successes, failures, rate_limited)
     VALUES (@key_id, @granularity, @bucket_start, @endpoint, @successes, @failures, @rate_limited)
     ON CONFLICT (key_id, granularity, bucket_start, endpoint) DO UPDATE SET
       successes = successes + excluded.successes,
       failures = failures + excluded.failures,
       rate_limited = rate_limited + excluded.rate_limited`,
  );

  const deltas = new Map<string, RollupDelta>();
  const add = (use: Use, granularity: 'hour' | 'day', bucket: number) => {
    const id = `${use.data.key_id}\u0000${granularity}\u0000${bucket}\u0000${use.data.endpoint}`;
    let d = deltas.get(id);
    if (!d) {
      d = {
        key_id: use.data.key_id,
        granularity,
        bucket_start: bucket,
        endpoint: use.data.endpoint,
        successes: 0,
        failures: 0,
        rate_limited: 0,
      };
      deltas.set(id, d);
    }
    if (use.data.success) d.successes++;
    else d.failures++;
    if (use.data.error_code === 'RATE_LIMITED') d.rate_limited++;
  };

  return {
    /** Buffers rollup increments for uses that the key projection found new. */
    add(uses: Use[], logCutoff: number): void {
      for (const use of uses) {
        if (use.recorded_at >= logCutoff) {
          insertLog.run(
            use.position,
            use.data.key_id,
            use.data.endpoint,
            use.recorded_at,
            use.data.ip,
            use.data.user_agent,
            use.data.success ? 1 : 0,
            use.data.error_code,
          );
        }
        add(use, 'hour', hourStart(use.recorded_at));
        add(use, 'day', dayStart(use.recorded_at));
      }
    },
    /** Writes the buffered increments; call before the transaction commits. */
    commit(): void {
      for (const d of deltas.values()) upsertRollup.run(d);
      deltas.clear();
    },
  };
}
