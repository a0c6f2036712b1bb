// Seeds millions of `key.used` events, as a server that verified keys for a year would have written
// them, at bulk-load speed: the events go straight into the log in large transactions (chained like the
// store chains them, with its UUIDv7 ids), and their projections are written beside them: the raw usage
// rows within the retention window, the hourly and daily rollups, and each key's usage count. Replay
// (`checkSeeded`, run on a small seed in smoke mode) proves it is what the store itself would hold.
import { randomUUID } from 'node:crypto';
import { dayStart, eventCatalogue, hourStart, keyUsageStreamId } from '../../events/dist/index.js';
import { bulkLoad, keyIdOf, rawLogWriter } from './seed-keys.mjs';

const DAY = 86_400_000;
const ENDPOINTS = ['/query', '/system/info', '/ingest', '/api-keys/verify'];
const USER_AGENTS = ['python-requests/2.32.3', 'keyledger-sdk/0.1.0 node/20', 'curl/8.5.0'];

/** A deterministic generator, so that two runs seed the same log. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rollup increments for the bucket being filled; uses come in time order, so a bucket closes once. */
function rollupBucket(insert, granularity) {
  let start = null;
  const counts = new Map();
  return {
    add(bucketStart, keyId, endpoint, success, rateLimited) {
      if (bucketStart !== start) {
        this.close();
        start = bucketStart;
      }
      const id = `${keyId} ${endpoint}`;
      let c = counts.get(id);
      if (!c) {
        c = [keyId, endpoint, 0, 0, 0];
        counts.set(id, c);
      }
      if (success) c[2]++;
      else c[3]++;
      if (rateLimited) c[4]++;
    },
    close() {
      for (const [keyId, endpoint, successes, failures, rateLimited] of counts.values()) {
        insert.run(keyId, granularity, start, endpoint, successes, failures, rateLimited);
      }
      counts.clear();
    },
  };
}

/**
 * Adds `events` uses of the keys `keyIdOf(0..keys-1)` (seeded before, without uses) to the database at
 * `db`, spread evenly over the `days` before `now`. Key 0 is the busiest: a key is drawn as the product
 * of two uniform numbers, so a few keys carry most of the traffic. Raw usage rows are kept for uses at
 * or after `logCutoff`, as the projection keeps them. Returns the seconds it took and the uses per key.
 */
export function seedUsage(db, { events, keys, days, now, logCutoff, onProgress = () => {} }) {
  const t0 = performance.now();
  const restore = bulkLoad(db);
  const log = rawLogWriter(db);
  const used = eventCatalogue['key.used'];
  const insertLog = db.prepare(
    `INSERT INTO key_usage_logs (id, key_id, endpoint, timestamp, ip_address, user_agent, success, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertRollup = db.prepare(
    `INSERT INTO key_usage_rollups (key_id, granularity, bucket_start, endpoint, successes, failures, rate_limited)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const addUses = db.prepare(
    `UPDATE api_keys SET usage_count = usage_count + ?, last_used = ?, last_usage_position = ? WHERE key_id = ?`,
  );
  const hours = rollupBucket(insertRollup, 'hour');
  const daily = rollupBucket(insertRollup, 'day');
  const rnd = random(7);
  const keyIds = Array.from({ length: keys }, (_, i) => keyIdOf(i));
  const streams = keyIds.map(keyUsageStreamId);
  const ips = keyIds.map((_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const streamVersion = new Int32Array(keys);
  const lastUsed = new Float64Array(keys);
  const lastPosition = new Float64Array(keys);

  const start = now - days * DAY;
  const step = (days * DAY) / events;
  const batch = 100_000;
  let written = 0;
  const writeBatch = db.transaction((count) => {
    for (let i = 0; i < count; i++, written++) {
      const at = Math.floor(start + written * step);
      const k = Math.floor(rnd() * rnd() * keys);
      const endpoint = ENDPOINTS[Math.floor(rnd() * rnd() * ENDPOINTS.length)];
      const success = rnd() < 0.97;
      const errorCode = success ? null : rnd() < 0.6 ? 'RATE_LIMITED' : 'INSUFFICIENT_SCOPE';
      const userAgent = USER_AGENTS[k % USER_AGENTS.length];
      const keyId = keyIds[k];
      // The JSON the recorder writes: its own copy of the use, fields in this order.
      const data = JSON.stringify({
        key_id: keyId,
        endpoint,
        ip: ips[k],
        user_agent: userAgent,
        success,
        error_code: errorCode,
      });
      const position = log.append(
        streams[k],
        ++streamVersion[k],
        used.type,
        used.version,
        data,
        `{"request_id":"${randomUUID()}"}`,
        at,
      );
      if (at >= logCutoff) {
        insertLog.run(position, keyId, endpoint, at, ips[k], userAgent, success ? 1 : 0, errorCode);
      }
      hours.add(hourStart(at), keyId, endpoint, success, errorCode === 'RATE_LIMITED');
      daily.add(dayStart(at), keyId, endpoint, success, errorCode === 'RATE_LIMITED');
      lastUsed[k] = at;
      lastPosition[k] = position;
    }
  });
  while (written < events) {
    writeBatch.immediate(Math.min(batch, events - written));
    onProgress(written);
  }
  db.transaction(() => {
    hours.close();
    daily.close();
    for (let k = 0; k < keys; k++) {
      if (streamVersion[k] > 0) addUses.run(streamVersion[k], lastUsed[k], lastPosition[k], keyIds[k]);
    }
  }).immediate();
  restore();
  return { seconds: (performance.now() - t0) / 1000, usesPerKey: Array.from(streamVersion) };
}
