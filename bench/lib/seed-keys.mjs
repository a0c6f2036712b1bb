// Seeds a database with N keys, fast enough for a million: `key.created` events written straight into
// the log in large transactions (each chained to the one before, as the store chains them) and their
// `api_keys` rows made by the catalogue's own `evolve`. A million lifecycle appends through the store
// would take minutes; this takes seconds. `checkSeededKeys` proves, on a small seed, that the result is
// exactly what the store would have written: replay finds no drift and the hash chain holds.
//
// Two liberties, neither of which bears on what the figures measure: the keys are written in the order of
// their hashes, with key ids and event ids (UUIDv7) that rise with it, so that every index takes them in
// order; and the owners are plain ids, without accounts.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  chainHash,
  checkProjections,
  createEventStore,
  keyCreated,
  keyStreamId,
  verifyChain,
} from '../../events/dist/index.js';
import { generateKey } from '../../server/dist/index.js';
import { keyHasher } from '../../server/dist/keys/key-hash.js';

/** A pepper for benchmark databases only; the server under test is started with the same. */
export const BENCH_PEPPER = 'keyledger-benchmark-pepper-not-for-production-use';

/** Random bytes from a large pool: `generateKey` asks for a few dozen at a time, a million times. */
function pooledRandom() {
  let pool = randomBytes(1 << 20);
  let at = 0;
  return (size) => {
    if (at + size > pool.length) {
      pool = randomBytes(1 << 20);
      at = 0;
    }
    at += size;
    return pool.subarray(at - size, at);
  };
}

/** The id of the i-th seeded key: they rise with the keys' hashes, so that the indexes fill in order. */
export const keyIdOf = (i) => `key_${i.toString(16).padStart(32, '0')}`;

/** The owner of the i-th seeded key: owners hold runs of keys, so that the by-user index fills in order. */
export const userIdOf = (i, keysPerUser) =>
  `user_${Math.floor(i / keysPerUser)
    .toString(16)
    .padStart(32, '0')}`;

/** RFC 9562 version 7: 48 bits of milliseconds, then a counter where the random bits would go. */
export function uuidV7(ms, counter) {
  const t = ms.toString(16).padStart(12, '0');
  const c = counter.toString(16).padStart(15, '0');
  return `${t.slice(0, 8)}-${t.slice(8)}-7${c.slice(0, 3)}-${(8 + (parseInt(c[3], 16) & 3)).toString(16)}${c.slice(4, 7)}-${c.slice(7)}000${(counter & 0xf).toString(16)}`;
}

/**
 * Writes rows straight into the log: the statements, the running chain head and the next position.
 * Call `append` inside a transaction.
 */
export function rawLogWriter(db) {
  const insert = db.prepare(
    `INSERT INTO events (stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let previous =
    db.prepare('SELECT hash FROM events ORDER BY position DESC LIMIT 1').pluck().get() ?? '0'.repeat(64);
  let position = db.prepare('SELECT max(position) FROM events').pluck().get() ?? 0;
  return {
    /** Appends one event; returns its position. `data` and `metadata` are already JSON. */
    append(streamId, streamPosition, type, schemaVersion, data, metadata, recordedAt) {
      position++;
      const eventId = uuidV7(recordedAt, position);
      previous = chainHash(previous, {
        stream_id: streamId,
        stream_position: streamPosition,
        event_id: eventId,
        type,
        schema_version: schemaVersion,
        data,
        metadata,
        recorded_at: recordedAt,
      });
      const info = insert.run(
        streamId,
        streamPosition,
        eventId,
        type,
        schemaVersion,
        data,
        metadata,
        recordedAt,
        previous,
      );
      if (info.lastInsertRowid !== position && Number(info.lastInsertRowid) !== position) {
        throw new Error(`the log handed out position ${info.lastInsertRowid}, expected ${position}`);
      }
      return position;
    },
  };
}

/** Bulk-load settings for a seeding connection; `restore` puts the store's own back. */
export function bulkLoad(db) {
  const synchronous = db.pragma('synchronous', { simple: true });
  const cacheSize = db.pragma('cache_size', { simple: true });
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576');
  return () => {
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`cache_size = ${cacheSize}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  };
}

/**
 * The `api_keys` row of a new key, as the projection writes it: the catalogue's `evolve` builds it for
 * the first key, and every later row is built the same way by hand (an object spread costs V8 on Node 20
 * about a microsecond for each property added after it, which is most of a seed of a million), after a
 * check that the two agree.
 */
function apiKeyRows(db) {
  const columns = db.prepare(`SELECT name FROM pragma_table_info('api_keys')`).pluck().all();
  const insertKey = db.prepare(
    `INSERT INTO api_keys (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  const byHand = (d, recordedAt, position) => ({
    key_id: d.key_id,
    key_prefix: d.key_prefix,
    key_hash: d.key_hash,
    name: d.name,
    description: d.description,
    user_id: d.user_id,
    scope: d.scope,
    status: 'active',
    created_at: recordedAt,
    updated_at: recordedAt,
    expires_at: d.expires_at,
    revoked_at: null,
    revoke_reason: null,
    previous_key_hash: null,
    previous_key_expires_at: null,
    last_used: null,
    usage_count: 0,
    rate_limit: d.rate_limit,
    rate_window: d.rate_window,
    metadata: null,
    last_position: position,
    last_usage_position: 0,
  });
  let checked = false;
  const keyRow = (data, recordedAt, position) => {
    const row = byHand(data, recordedAt, position);
    if (!checked) {
      const state = keyCreated.evolve(null, data, { recordedAt, position });
      const expected = { ...state, metadata: null, last_position: position, last_usage_position: 0 };
      const names = new Set([...Object.keys(expected), ...Object.keys(row), ...columns]);
      for (const name of names) {
        if (!columns.includes(name) || row[name] !== expected[name]) {
          throw new Error(`seed-keys.mjs builds api_keys.${name} unlike the projection; update it`);
        }
      }
      checked = true;
    }
    return columns.map((c) => row[c]);
  };
  return { insertKey, keyRow };
}

/**
 * Seeds `count` active keys into the database at `path`, `keysPerUser` to an owner (see userIdOf), and
 * writes their plaintexts, one a line, to `keysFile` (the load generator draws from it). Returns the
 * seconds it took and a few of the keys.
 */
export function seedKeys(path, options) {
  const {
    count,
    keysFile,
    keysPerUser = 100,
    scope = 'full_access',
    rateLimit = 10_000,
    prefix = 'rag',
    now = Date.now(),
  } = options;
  const t0 = performance.now();
  const hash = keyHasher(Buffer.from(BENCH_PEPPER, 'utf8'));
  const random = pooledRandom();

  const keys = new Array(count);
  for (let i = 0; i < count; i++) {
    const secret = generateKey(prefix, random);
    keys[i] = { plaintext: secret.plaintext, prefix: secret.displayPrefix, hash: hash(secret.plaintext) };
  }
  keys.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  if (keysFile) writeFileSync(keysFile, `${keys.map((k) => k.plaintext).join('\n')}\n`);

  const store = createEventStore({ path, clock: () => now });
  const db = store.db;
  const restore = bulkLoad(db);
  const log = rawLogWriter(db);
  const { insertKey, keyRow } = apiKeyRows(db);
  const createdAt = now - count; // one key a millisecond, the last just now
  const batch = 50_000;
  for (let from = 0; from < count; from += batch) {
    store.transaction(() => {
      for (let i = from; i < Math.min(count, from + batch); i++) {
        const k = keys[i];
        const keyId = keyIdOf(i);
        const userId = userIdOf(i, keysPerUser);
        const data = {
          key_id: keyId,
          user_id: userId,
          name: `benchmark key ${i}`,
          description: null,
          scope,
          key_hash: k.hash,
          key_prefix: k.prefix,
          expires_at: null,
          rate_limit: rateLimit,
          rate_window: 3600,
          metadata: null,
        };
        const recordedAt = createdAt + i;
        const position = log.append(
          keyStreamId(keyId),
          1,
          keyCreated.type,
          keyCreated.version,
          JSON.stringify(data),
          // What eventMetadataSchema.parse gives for this actor, as the store writes it.
          `{"actor":{"type":"user","id":"${userId}"}}`,
          recordedAt,
        );
        insertKey.run(keyRow(data, recordedAt, position));
      }
    });
  }
  restore();
  store.close();
  return {
    seconds: (performance.now() - t0) / 1000,
    sample: keys.slice(0, 3).map((k) => k.plaintext),
  };
}

/** Replays a seeded database and walks its chain: the seed must be what the store itself would write. */
export function checkSeeded(path, usageLogCutoff) {
  const store = createEventStore({ path });
  try {
    const check = checkProjections(store.db, { usageLogCutoff: usageLogCutoff ?? store.usageLogCutoff() });
    if (check.differences.length > 0) {
      throw new Error(
        `the seeded projections differ from a replay: ${JSON.stringify(check.differences.slice(0, 3))}`,
      );
    }
    const chain = verifyChain(store.db);
    if (!chain.ok) throw new Error(`the seeded log's chain breaks at ${chain.position}: ${chain.reason}`);
  } finally {
    store.close();
  }
}
