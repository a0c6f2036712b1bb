// Issue #2's figures for the event log: replay rate, usage append rate through group commit against a
// raw batched insert, and durable lifecycle append rate against raw single-row transactions. Each
// baseline runs in the same process, on the same disk, into a table made from the log's own DDL.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkProjections,
  createEventStore,
  keyStreamId,
  openDatabase,
  rebuildProjections,
} from '../../events/dist/index.js';

export const name = 'event-log';

const DAY = 86_400_000;
const ENDPOINTS = ['/query', '/ingest', '/system/info', '/api-keys/verify'];

/** A deterministic generator, so that two runs write the same log. */
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

/** Runs `fn`, timing it by the wall clock and by this process's CPU time (user + system). */
function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const perSecond = (n, ms) => n / (ms / 1000);
const fmt = (n) => Math.round(n).toLocaleString('en-US');

const keyId = (i) => `key_${String(i).padStart(6, '0')}`;

function keyCreated(i, rnd) {
  return {
    type: 'key.created',
    data: {
      key_id: keyId(i),
      user_id: `user_${i % 97}`,
      name: `key ${i}`,
      description: i % 3 === 0 ? null : 'benchmark key',
      scope: ['read_only', 'query_only', 'ingest_only', 'full_access'][i % 4],
      key_hash: createHash('sha256').update(`secret-${i}-${rnd()}`).digest('hex'),
      key_prefix: 'rag_abcd',
      expires_at: i % 5 === 0 ? null : 1_900_000_000_000,
      rate_limit: 100 + (i % 10) * 100,
      rate_window: 3600,
      metadata: null,
    },
  };
}

/**
 * Picks the key of each use. `zipf`: key k gets a share proportional to 1/(k+1), the usual shape of
 * traffic per client on real APIs. `uniform`: every key equally, the worst case for group commit,
 * where nearly every use in a batch is on a different key and the per-key projection writes cannot be
 * shared.
 */
function keyPicker(rnd, keys, traffic) {
  if (traffic === 'uniform') return () => Math.floor(rnd() * keys);
  const cdf = new Float64Array(keys);
  let sum = 0;
  for (let k = 0; k < keys; k++) cdf[k] = sum += 1 / (k + 1);
  return () => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A use as the server records it for a verified request: mostly successes, mostly on one endpoint. */
function use(rnd, pickKey) {
  const k = pickKey();
  const e = rnd();
  const ok = rnd() < 0.95;
  return {
    key_id: keyId(k),
    endpoint: ENDPOINTS[e < 0.6 ? 0 : e < 0.85 ? 1 : e < 0.95 ? 2 : 3],
    ip: `10.0.${k % 256}.${(k >> 8) % 256}`,
    user_agent: 'python-requests/2.32.3',
    success: ok,
    error_code: ok ? null : rnd() < 0.5 ? 'RATE_LIMITED' : 'INSUFFICIENT_SCOPE',
  };
}

/** Creates `keys` keys in one transaction: the figures below are about what comes after. */
function createKeys(store, keys, rnd) {
  store.transaction(() => {
    for (let i = 0; i < keys; i++) store.append(keyStreamId(keyId(i)), 'no_stream', [keyCreated(i, rnd)]);
  });
}

/** A database with an empty table made from the log's own DDL and pragmas, for the raw baselines. */
function rawTable(dir, file, synchronous) {
  const model = createEventStore({ path: join(dir, `${file}-model.db`) });
  const ddl = model.db
    .prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'`)
    .pluck()
    .get();
  model.close();
  const db = openDatabase(join(dir, `${file}.db`));
  db.exec(ddl.replace('CREATE TABLE events', 'CREATE TABLE raw_events'));
  db.pragma(`synchronous = ${synchronous}`);
  const insert = db.prepare(
    `INSERT INTO raw_events (stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return { db, insert };
}

/** Reads back, untimed, the rows the store wrote after a position, for the baseline to insert as they are. */
function rowsAfter(store) {
  const select = store.db
    .prepare(
      `SELECT stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash
       FROM events WHERE position > ? ORDER BY position`,
    )
    .raw();
  let after = store.db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck().get();
  return () => {
    const rows = select.all(after);
    after += rows.length;
    return rows;
  };
}

/**
 * Group commit against its ceiling, interleaved a chunk at a time so that both run under the same
 * machine load (other processes share these cores) and against tables of the same size. The ceiling
 * inserts the very rows the store wrote (same ids, data and hashes) into an identical table, in
 * transactions of the same size, with the same pragmas (synchronous=NORMAL, as usage flushes run).
 */
function usageAppend(dir, { uses: n, keys, batch, chunk, traffic }, log) {
  const rnd = random(1);
  const pickKey = keyPicker(rnd, keys, traffic);
  let now = Date.UTC(2025, 0, 1);
  const store = createEventStore({
    path: join(dir, `usage-${traffic}.db`),
    clock: () => now,
    usage: { maxBatch: batch },
  });
  createKeys(store, keys, rnd);
  const written = rowsAfter(store);
  const raw = rawTable(dir, `usage-${traffic}-raw`, 'NORMAL');
  const insertBatch = raw.db.transaction((rows) => {
    for (const r of rows) raw.insert.run(r);
  });
  const ours = { wallMs: 0, cpuMs: 0 };
  const ceiling = { wallMs: 0, cpuMs: 0 };
  const add = (total, t) => {
    total.wallMs += t.wallMs;
    total.cpuMs += t.cpuMs;
  };
  for (let done = 0; done < n; done += chunk) {
    const uses = Array.from({ length: Math.min(chunk, n - done) }, () => use(rnd, pickKey));
    add(
      ours,
      timed(() => {
        for (const u of uses) {
          now++;
          store.recordUsage(u);
        }
        store.flush();
      }),
    );
    const rows = written();
    add(
      ceiling,
      timed(() => {
        for (let i = 0; i < rows.length; i += batch) insertBatch.immediate(rows.slice(i, i + batch));
      }),
    );
  }
  const counted = store.db.prepare('SELECT sum(usage_count) FROM api_keys').pluck().get();
  if (counted !== n) throw new Error(`group commit counted ${counted} uses, expected ${n}`);
  store.close();
  raw.db.close();
  log(`usage: ${n} uses, ${traffic} over ${keys} keys, ${batch} per commit, interleaved by ${chunk}`);

  const rate = perSecond(n, ours.wallMs);
  const ceilingRate = perSecond(n, ceiling.wallMs);
  return [
    {
      name: `usage append rate, ${traffic} traffic (group commit, projections)`,
      value: rate,
      unit: 'events/s',
      baseline: ceilingRate,
      baselineName: `raw INSERT of the same rows, ${batch}/tx`,
      ratio: rate / ceilingRate,
      target: '>= 0.5 of ceiling',
      pass: rate / ceilingRate >= 0.5,
      note: `per CPU-second: ${fmt(perSecond(n, ours.cpuMs))} against ${fmt(perSecond(n, ceiling.cpuMs))}`,
    },
  ];
}

/** Durable appends (one commit each, synchronous=FULL) against raw one-row transactions, interleaved. */
function lifecycleAppend(dir, { appends, keys, chunk }, log) {
  const rnd = random(2);
  const store = createEventStore({ path: join(dir, 'lifecycle.db') });
  createKeys(store, keys, rnd);
  const written = rowsAfter(store);
  const sync = store.db.pragma('synchronous', { simple: true });
  const raw = rawTable(dir, 'lifecycle-raw', 'FULL');
  const insertOne = raw.db.transaction((row) => raw.insert.run(row));
  let oursMs = 0;
  let rawMs = 0;
  for (let done = 0; done < appends; done += chunk) {
    const events = Array.from({ length: Math.min(chunk, appends - done) }, (_, i) =>
      keyCreated(keys + done + i, rnd),
    );
    const t0 = performance.now();
    for (const e of events) {
      const result = store.append(keyStreamId(e.data.key_id), 'no_stream', [e], {
        actor: { type: 'user', id: e.data.user_id },
        request_id: randomUUID(),
      });
      if (!result.ok) throw new Error('unexpected conflict');
    }
    oursMs += performance.now() - t0;

    const rows = written();
    const t1 = performance.now();
    for (const r of rows) insertOne.immediate(r);
    rawMs += performance.now() - t1;
  }
  store.close();
  raw.db.close();
  log(`lifecycle: ${appends} key.created appends, synchronous=${sync === 2 ? 'FULL' : sync}`);

  const rate = perSecond(appends, oursMs);
  const ceiling = perSecond(appends, rawMs);
  return [
    {
      name: 'lifecycle append rate (durable, synchronous=FULL)',
      value: rate,
      unit: 'appends/s',
      baseline: ceiling,
      baselineName: 'raw 1-row tx of the same rows, FULL',
      ratio: rate / ceiling,
    },
  ];
}

/**
 * Writes a realistic log quickly: a few thousand keys, then mostly uses through group commit with a
 * lifecycle event now and then, over about ten months of injected time.
 */
function buildLog(dir, { events, keys }, log) {
  const rnd = random(3);
  let now = Date.UTC(2025, 0, 1);
  const path = join(dir, 'replay.db');
  const store = createEventStore({ path, clock: () => now, usage: { maxBatch: 10_000 } });
  const pickKey = keyPicker(rnd, keys, 'zipf');
  const t0 = performance.now();
  createKeys(store, keys, rnd);
  const step = Math.floor((300 * DAY) / events);
  const versions = new Map();
  let written = keys;
  let lifecycle = keys;
  while (written < events) {
    now += step;
    if (rnd() < 0.0005) {
      const k = Math.floor(rnd() * keys);
      const stream = keyStreamId(keyId(k));
      const version = versions.get(stream) ?? 1;
      const kind = rnd();
      const event =
        kind < 0.6
          ? { type: 'key.updated', data: { key_id: keyId(k), name: `renamed ${written}` } }
          : kind < 0.9
            ? {
                type: 'key.regenerated',
                data: {
                  key_id: keyId(k),
                  key_hash: createHash('sha256').update(`regen-${written}`).digest('hex'),
                  key_prefix: 'rag_efgh',
                  previous_key_expires_at: null,
                },
              }
            : { type: 'key.revoked', data: { key_id: keyId(k), reason: 'benchmark' } };
      store.append(stream, version, [event]);
      versions.set(stream, version + 1);
      lifecycle++;
    } else {
      store.recordUsage(use(rnd, pickKey));
    }
    written++;
  }
  store.flush();
  log(
    `replay log: ${written} events (${lifecycle} lifecycle) over ${keys} keys, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { store, now };
}

function replay(dir, sizes, log) {
  const { store } = buildLog(dir, sizes, log);
  const options = { usageLogCutoff: store.usageLogCutoff() };
  const rebuilt = timed(() => rebuildProjections(store.db, options));
  const checked = timed(() => checkProjections(store.db, options));
  if (checked.result.differences.length > 0) {
    throw new Error(`check found ${checked.result.differences.length} differences`);
  }
  store.close();
  return [
    ['rebuild', rebuilt],
    ['check', checked],
  ].map(([kind, { result, wallMs, cpuMs }]) => {
    const rate = perSecond(result.events, wallMs);
    return {
      name: `replay ${kind}, ${result.events.toLocaleString('en-US')} events`,
      value: rate,
      unit: 'events/s',
      target: '>= 100,000 events/s',
      pass: rate >= 100_000,
      note: `per CPU-second: ${fmt(perSecond(result.events, cpuMs))}`,
    };
  });
}

export async function run({ smoke, log = () => {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-bench-events-'));
  const usage = smoke
    ? { uses: 5_000, keys: 50, batch: 1000, chunk: 2500 }
    : { uses: 300_000, keys: 2000, batch: 1000, chunk: 10_000 };
  try {
    return [
      ...usageAppend(dir, { ...usage, traffic: 'zipf' }, log),
      ...usageAppend(dir, { ...usage, traffic: 'uniform' }, log),
      ...lifecycleAppend(
        dir,
        smoke ? { appends: 50, keys: 20, chunk: 25 } : { appends: 2000, keys: 2000, chunk: 100 },
        log,
      ),
      ...replay(dir, smoke ? { events: 20_000, keys: 100 } : { events: 1_000_000, keys: 3000 }, log),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
