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
    /** The position the next append will get. */
    nextPosition: () => position + 1,
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

/** The columns of a key.created event and of its api_keys row, as the raw path writes them. */
function keyCreatedRow(data, recordedAt, position, usesFromCreation) {
  return {
    event: {
      stream_id: keyStreamId(data.key_id),
      stream_position: 1,
      type: keyCreated.type,
      schema_version: keyCreated.version,
      data: JSON.stringify(data),
      // What eventMetadataSchema.parse gives for this actor, as the store writes it.
      metadata: `{"actor":{"type":"user","id":"${data.user_id}"}}`,
      recorded_at: recordedAt,
    },
    // Built by hand: an object spread, as `evolve` makes it, costs V8 on Node 20 about a microsecond for
    // each property added after it, which was most of a seed of a million keys.
    key: {
      key_id: data.key_id,
      key_prefix: data.key_prefix,
      key_hash: data.key_hash,
      name: data.name,
      description: data.description,
      user_id: data.user_id,
      scope: data.scope,
      status: 'active',
      created_at: recordedAt,
      updated_at: recordedAt,
      expires_at: data.expires_at,
      revoked_at: null,
      revoke_reason: null,
      previous_key_hash: null,
      previous_key_expires_at: null,
      last_used: null,
      usage_count: 0,
      rate_limit: data.rate_limit,
      rate_window: data.rate_window,
      metadata: null,
      last_position: position,
      last_usage_position: usesFromCreation ? position : 0,
    },
  };
}

/**
 * Appends the first key through the store itself and checks that the raw path would have written the
 * same event and the same api_keys row, column by column. Returns how the projection starts a key's
 * usage position (at 0, or at its creation), which is the one thing learnt from it.
 */
function calibrate(store, data, recordedAt) {
  const result = store.append(keyStreamId(data.key_id), 'no_stream', [{ type: keyCreated.type, data }], {
    actor: { type: 'user', id: data.user_id },
  });
  if (!result.ok) throw new Error('could not append the first key');
  const position = result.positions[0];
  const event = store.db.prepare('SELECT * FROM events WHERE position = ?').get(position);
  const key = store.db.prepare('SELECT * FROM api_keys WHERE key_id = ?').get(data.key_id);
  const usesFromCreation = key.last_usage_position === position;
  const expected = keyCreatedRow(data, recordedAt, position, usesFromCreation);
  for (const [table, written, built] of [
    ['events', event, expected.event],
    ['api_keys', key, expected.key],
  ]) {
    const columns = table === 'events' ? Object.keys(built) : Object.keys(written);
    for (const name of new Set([...columns, ...Object.keys(built)])) {
      if (written[name] !== built[name]) {
        throw new Error(`seed-keys.mjs writes ${table}.${name} unlike the store; update it`);
      }
    }
  }
  return usesFromCreation;
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

  const createdAt = now - count; // one key a millisecond, the last just now
  const dataOf = (i) => ({
    key_id: keyIdOf(i),
    user_id: userIdOf(i, keysPerUser),
    name: `benchmark key ${i}`,
    description: null,
    scope,
    key_hash: keys[i].hash,
    key_prefix: keys[i].prefix,
    expires_at: null,
    rate_limit: rateLimit,
    rate_window: 3600,
    metadata: null,
  });
  const store = createEventStore({ path, clock: () => createdAt });
  const db = store.db;
  const usesFromCreation = calibrate(store, dataOf(0), createdAt);
  const restore = bulkLoad(db);
  const log = rawLogWriter(db);
  const columns = db.prepare(`SELECT name FROM pragma_table_info('api_keys')`).pluck().all();
  const insertKey = db.prepare(
    `INSERT INTO api_keys (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  const batch = 50_000;
  for (let from = 1; from < count; from += batch) {
    store.transaction(() => {
      for (let i = from; i < Math.min(count, from + batch); i++) {
        const recordedAt = createdAt + i;
        const position = log.nextPosition();
        const { event, key } = keyCreatedRow(dataOf(i), recordedAt, position, usesFromCreation);
        log.append(
          event.stream_id,
          event.stream_position,
          event.type,
          event.schema_version,
          event.data,
          event.metadata,
          event.recorded_at,
        );
        insertKey.run(columns.map((c) => key[c]));
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
