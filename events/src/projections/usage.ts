import type { Database } from 'better-sqlite3';
import type { ProjectedEventOf } from '../store/recorded-event.js';
import type { ProjectionTables } from './tables.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const hourStart = (t: number) => t - (((t % HOUR) + HOUR) % HOUR);
export const dayStart = (t: number) => t - (((t % DAY) + DAY) % DAY);

type Use = ProjectedEventOf<'key.used'>;

interface RollupDelta {
  successes: number;
  failures: number;
  rateLimited: number;
}

/** Per endpoint, per bucket start: one delta for each rollup row a run of uses adds to. */
type Deltas = Map<string, Map<number, RollupDelta>>;

function bump(deltas: Deltas, endpoint: string, bucket: number, use: Use): void {
  let byBucket = deltas.get(endpoint);
  if (!byBucket) deltas.set(endpoint, (byBucket = new Map()));
  let d = byBucket.get(bucket);
  if (!d) byBucket.set(bucket, (d = { successes: 0, failures: 0, rateLimited: 0 }));
  if (use.data.success) d.successes++;
  else d.failures++;
  if (use.data.error_code === 'RATE_LIMITED') d.rateLimited++;
}

/**
 * The raw usage log and its hourly and daily rollups. Analytics read the rollups, so a year of usage
 * is at most 365 rows per endpoint, whatever the traffic.
 */
export function usageProjection(db: Database, t: ProjectionTables, { daily }: { daily: boolean }) {
  const insertLog = db.prepare<
    [number, string, string, number, string | null, string | null, number, string | null]
  >(
    // Only a repeated position is skipped; OR IGNORE would also swallow a NOT NULL violation.
    `INSERT INTO ${t.usageLogs} (id, key_id, endpoint, timestamp, ip_address, user_agent, success, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const upsertRollups = (rows: number) =>
    db.prepare(
      `INSERT INTO ${t.usageRollups} (granularity, bucket_start, key_id, endpoint, successes, failures, rate_limited)
       VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (granularity, bucket_start, key_id, endpoint) DO UPDATE SET
         successes = successes + excluded.successes,
         failures = failures + excluded.failures,
         rate_limited = rate_limited + excluded.rate_limited`,
    );
  // Live, a key's uses in one flush mostly fall in one hour: its hourly and daily rows go in one statement.
  const upsertPair = upsertRollups(2);
  const upsertOne = upsertRollups(1);
  const writeDeltas = (keyId: string, hours: Deltas, days: Deltas) => {
    for (const [endpoint, byHour] of hours) {
      const byDay = days.get(endpoint);
      for (const [hour, h] of byHour) {
        const day = dayStart(hour);
        const d = byHour.size === 1 && byDay?.size === 1 ? byDay.get(day) : undefined;
        if (d) {
          upsertPair.run(
            'hour',
            hour,
            keyId,
            endpoint,
            h.successes,
            h.failures,
            h.rateLimited,
            'day',
            day,
            keyId,
            endpoint,
            d.successes,
            d.failures,
            d.rateLimited,
          );
          byDay?.delete(day);
        } else {
          upsertOne.run('hour', hour, keyId, endpoint, h.successes, h.failures, h.rateLimited);
        }
      }
    }
    for (const [endpoint, byDay] of days) {
      for (const [day, d] of byDay) {
        upsertOne.run('day', day, keyId, endpoint, d.successes, d.failures, d.rateLimited);
      }
    }
  };

  return {
    /**
     * Logs and counts a run of one key's uses that the key projection found new. Increments are summed
     * per rollup row first, so a busy key costs one upsert per row, not one per use.
     */
    add(keyId: string, uses: Use[], logCutoff: number): void {
      if (uses.length === 0) return;
      const hours: Deltas = new Map();
      const days: Deltas = new Map();
      for (const use of uses) {
        if (use.recorded_at >= logCutoff) {
          insertLog.run(
            use.position,
            keyId,
            use.data.endpoint,
            use.recorded_at,
            use.data.ip,
            use.data.user_agent,
            use.data.success ? 1 : 0,
            use.data.error_code,
          );
        }
        bump(hours, use.data.endpoint, hourStart(use.recorded_at), use);
        if (daily) bump(days, use.data.endpoint, dayStart(use.recorded_at), use);
      }
      writeDeltas(keyId, hours, days);
    },
  };
}

/**
 * Fills the daily rollups from the hourly ones, for tables a replay filled without them: an hour lies
 * in one UTC day, so the sums are the very counts the live projection adds up use by use.
 */
export function rollUpDays(db: Database, t: ProjectionTables): void {
  db.prepare(
    `INSERT INTO ${t.usageRollups} (granularity, bucket_start, key_id, endpoint, successes, failures, rate_limited)
     SELECT 'day', bucket_start - ((bucket_start % ${DAY}) + ${DAY}) % ${DAY} AS day, key_id, endpoint,
            sum(successes), sum(failures), sum(rate_limited)
     FROM ${t.usageRollups} WHERE granularity = 'hour' GROUP BY day, key_id, endpoint`,
  ).run();
}
