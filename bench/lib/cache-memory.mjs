// What verification keeps in memory for each key: run with --expose-gc, prints one JSON line.
//
//   node --expose-gc bench/lib/cache-memory.mjs N
//
// Fills the server's own key cache (an lru-cache made for N entries) with N keys, as a verification
// that finds them in the projection fills it, and gives each a rate-limiter state, then divides the
// growth of the heap by N. The cache is made after the first measurement, so its per-slot arrays count.
import { cachedKeyFromRow, keyCache } from '../../server/dist/verify/key-cache.js';
import { rateLimiter } from '../../server/dist/verify/rate-limiter.js';

const n = Number(process.argv[2]);
const hex = (i, width) => i.toString(16).padStart(width, '0');

/**
 * A row as `api_keys` gives it: every string its own and flat, as better-sqlite3 makes them (a string
 * built by concatenation would be a rope, flattened later, and its pieces would count here).
 */
const row = (i) => JSON.parse(JSON.stringify(rowParts(i)));

function rowParts(i) {
  const hash = `${hex(i, 16)}${hex(i * 7919, 16)}${hex(i * 104729, 16)}${hex(i * 1299709, 16)}`;
  return {
    key_id: `key_${hex(i, 32)}`,
    key_prefix: `rag_${hex(i, 6)}`,
    key_hash: hash,
    name: `key ${i}`,
    description: null,
    user_id: `user_${hex(i, 32)}`,
    scope: 'query_only',
    status: 'active',
    created_at: 1_767_225_600_000 + i,
    updated_at: 1_767_225_600_000 + i,
    expires_at: 1_800_000_000_000,
    revoked_at: null,
    revoke_reason: null,
    previous_key_hash: null,
    previous_key_expires_at: null,
    last_used: null,
    usage_count: 0,
    rate_limit: 1000,
    rate_window: 3600,
    metadata: null,
    last_position: i + 1,
    last_usage_position: 0,
  };
}

const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

const before = heap();
const cache = keyCache({ maxKeys: n, ttlMs: 3_600_000 });
for (let i = 0; i < n; i++) {
  const r = row(i);
  cache.set(r.key_hash, cachedKeyFromRow(r, r.key_hash));
}
const cached = heap();
const limiter = rateLimiter(() => 1_767_225_600_000, { maxEntries: n });
// Keyed by the cached key's own id string, as verification keys it.
for (let i = 0; i < n; i++) limiter.consume(cache.get(row(i).key_hash).keyId, 1000, 3600);
const limited = heap();
if (cache.size() !== n || limiter.size() !== n) throw new Error('not every key was kept');

process.stdout.write(
  `${JSON.stringify({
    keys: n,
    cacheBytesPerKey: (cached - before) / n,
    limiterBytesPerKey: (limited - cached) / n,
    totalBytesPerKey: (limited - before) / n,
  })}\n`,
);
