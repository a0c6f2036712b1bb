// Issue #7's figures for key verification, each beside a baseline measured in the same run:
//   1. over HTTP: POST /api-keys/verify and the protected POST /query, against a bare node:http server
//      answering the same JSON; load from a separate process (autocannon), 32 connections;
//   2. with 1,000 and with 1,000,000 stored keys (keys drawn at random from all of them);
//   3. in-process, a cached key, calling services.verifyKey in a loop;
//   5. every use recorded: after the load, the log holds one key.used per verification that identified a
//      key, and the group-commit buffer stayed bounded while it ran;
//   8. memory: the server's resident size with 1,000,000 keys stored, and the cached state per key.
// The server is `node server/dist/main.js`, as `npm start` runs it, on a database seeded in bulk.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openDatabase } from '../../events/dist/index.js';
import { configFromEnv, createServices } from '../../server/dist/index.js';
import { measure, residentBytes, startBare, startKeyledger } from '../lib/processes.mjs';
import { BENCH_PEPPER, checkSeeded, seedKeys } from '../lib/seed-keys.mjs';

export const name = 'verification';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CONNECTIONS = 32;
const QUERY = 'How do rate limits protect an API?';

/** Short texts for the demo knowledge API, so that /query ranks real passages with bm25. */
const TOPICS = [
  'Rate limits protect an API from bursts: each key gets a budget of requests per hour.',
  'An API key identifies the calling application; rotate it when a developer leaves.',
  'Revoking a key takes effect at once, and every verification after it fails.',
  'Usage analytics show which endpoints a key calls and how often it fails.',
  'Scopes limit what a key may do: query only, ingest only, or full access.',
  'Keys that expire are refused after their expiry time, whatever their scope.',
];

const mib = (bytes) => bytes / 2 ** 20;

const cpuSecondsSince = (start) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

function httpRow(label, run, bare, target) {
  const ratio = run.rps / bare.rps;
  return [
    {
      name: `${label}: requests/s, ${CONNECTIONS} connections`,
      value: run.rps,
      unit: 'req/s',
      baseline: bare.rps,
      baselineName: 'bare node:http',
      ratio,
      ...(target ? { target: '>= 0.5 of bare', pass: ratio >= 0.5 } : {}),
    },
    {
      name: `${label}: p50 latency`,
      value: run.p50,
      unit: 'ms',
      baseline: bare.p50,
      baselineName: 'bare node:http',
    },
    {
      name: `${label}: p99 latency`,
      value: run.p99,
      unit: 'ms',
      baseline: bare.p99,
      baselineName: 'bare node:http',
      ...(target ? { target: '<= 5 ms', pass: run.p99 <= 5 } : {}),
    },
    {
      name: `${label}: server CPU per request`,
      value: run.cpuPerRequest,
      unit: 'µs',
      baseline: bare.cpuPerRequest,
      baselineName: 'bare node:http',
      ratio: run.cpuPerRequest / bare.cpuPerRequest,
    },
  ];
}

/** Samples the server's usage buffer while `work` runs: group commit keeps up if it stays small. */
async function watchBuffer(server, work) {
  let max = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const { buffered } = await server.health();
      max = Math.max(max, buffered);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { result: await work(), maxBuffered: () => max };
  } finally {
    polling = false;
    await poll;
  }
}

async function post(url, path, body, key) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
  return text;
}

/** Items 1 and 5: a server with 1,000 keys, against the bare baseline; then its log is counted. */
async function overHttp(dir, { seconds, warmupSeconds, keys }, log) {
  const dbPath = join(dir, 'http.db');
  const keysFile = join(dir, 'http-keys.txt');
  const keysPerUser = 100;
  seedKeys(dbPath, { count: keys, keysFile, keysPerUser });
  const plaintexts = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean);
  const server = await startKeyledger(dbPath);
  const results = {};
  let bare = null;
  let setupUses = 0;
  const identified = { low: 0, slack: 0 };
  try {
    // Every account gets a few texts, ingested with its first key, so that any key's query ranks
    // passages of its own account.
    for (let u = 0; u < keys / keysPerUser; u++) {
      for (const text of TOPICS) {
        await post(server.url, '/ingest', { data_type: 'text', content: text }, plaintexts[u * keysPerUser]);
        setupUses++;
      }
    }
    const verifyAnswer = await post(server.url, '/api-keys/verify', { key: plaintexts[0] });
    const queryAnswer = await post(server.url, '/query', { query: QUERY }, plaintexts[0]);
    setupUses += 2;
    if (!verifyAnswer.includes('"code":"VALID"')) throw new Error(`verify answered ${verifyAnswer}`);
    bare = await startBare({ '/api-keys/verify': verifyAnswer, '/query': queryAnswer });

    const specs = {
      verify: { path: '/api-keys/verify', keyIn: 'body', expect: '"code":"VALID"' },
      query: { path: '/query', keyIn: 'bearer', body: JSON.stringify({ query: QUERY }), expect: '"answer"' },
    };
    let maxBuffered = 0;
    for (const [label, spec] of Object.entries(specs)) {
      const common = { ...spec, keys: keysFile, connections: CONNECTIONS, seconds, warmupSeconds };
      const baseline = await measure(bare, common);
      const watched = await watchBuffer(server, () => measure(server, common));
      const run = watched.result;
      maxBuffered = Math.max(maxBuffered, watched.maxBuffered());
      if (run.unexpected > 0 || run.errors > 0) {
        throw new Error(`${label}: ${run.unexpected} answers were not valid, ${run.errors} errors`);
      }
      for (const r of [run, run.warmup].filter(Boolean)) {
        identified.low += r.good;
        identified.slack += r.sent - r.requests; // in flight when the load stopped: answered, not counted
      }
      results[label] = { run, baseline };
      log(
        `${label}: ${Math.round(run.rps)} req/s (bare ${Math.round(baseline.rps)}), p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`,
      );
    }
    results.maxBuffered = maxBuffered;
    results.rss = residentBytes(server.pid);
    results.stats = await server.health();
  } finally {
    await bare?.stop();
    await server.stop();
  }

  const db = openDatabase(dbPath, { readonly: true });
  const logged = db.prepare(`SELECT count(*) FROM events WHERE type = 'key.used'`).pluck().get();
  const counted = db.prepare('SELECT sum(usage_count) FROM api_keys').pluck().get();
  db.close();
  const { stats } = results;
  const recorded = stats.written + stats.buffered;
  const low = setupUses + identified.low;
  const allRecorded =
    stats.dropped === 0 &&
    logged === recorded &&
    counted === logged &&
    logged >= low &&
    logged <= low + identified.slack;
  log(
    `usage: ${logged} key.used in the log, ${recorded} recorded by the server, ${low}–${low + identified.slack} identified by the clients, max ${results.maxBuffered} buffered`,
  );
  return {
    results,
    rows: [
      ...httpRow('verify over HTTP (1,000 keys)', results.verify.run, results.verify.baseline, true),
      ...httpRow('POST /query with a valid key', results.query.run, results.query.baseline, false),
      {
        name: 'key.used events in the log after the load',
        value: logged,
        unit: 'events',
        baseline: low,
        baselineName: `verifications answered (+ up to ${identified.slack} in flight at stop)`,
        ratio: logged / low,
        target: 'every use logged, none dropped',
        pass: allRecorded,
      },
      {
        name: 'group-commit buffer during the load (max sampled)',
        value: results.maxBuffered,
        unit: 'uses',
        target: '<= 1,000 (one batch)',
        pass: results.maxBuffered <= 1000,
      },
    ],
  };
}

/**
 * Items 2 and 8: the same verify load with 1,000,000 keys stored, twice. First over 1,000 of them, as
 * the 1,000-key run (what the stored count itself costs: deeper indexes, a bigger file); then over all
 * of them, a random key each request, the worst case (no key stays cached, every use touches its own
 * rows). And the server's resident size with them stored.
 */
async function manyKeys(dir, { seconds, warmupSeconds, manyKeys: count, keys: hot }, small, log) {
  const dbPath = join(dir, 'many.db');
  const keysFile = join(dir, 'many-keys.txt');
  const hotFile = join(dir, 'many-hot-keys.txt');
  const seeded = seedKeys(dbPath, { count, keysFile });
  const all = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean);
  writeFileSync(hotFile, `${all.filter((_, i) => i % (count / hot) === 0).join('\n')}\n`);
  log(`seeded ${count.toLocaleString('en-US')} keys in ${seeded.seconds.toFixed(1)} s`);
  const server = await startKeyledger(dbPath);
  const runs = {};
  let idle;
  let loaded;
  try {
    idle = residentBytes(server.pid);
    for (const [name, file] of [
      ['hot', hotFile],
      ['all', keysFile],
    ]) {
      runs[name] = await measure(server, {
        path: '/api-keys/verify',
        keyIn: 'body',
        expect: '"code":"VALID"',
        keys: file,
        connections: CONNECTIONS,
        seconds,
        warmupSeconds,
      });
      const run = runs[name];
      if (run.unexpected > 0 || run.errors > 0) throw new Error(`${run.unexpected} answers were not valid`);
    }
    loaded = residentBytes(server.pid);
  } finally {
    await server.stop();
  }
  const label = count.toLocaleString('en-US');
  const hotLabel = hot.toLocaleString('en-US');
  log(
    `verify with ${label} keys: ${Math.round(runs.hot.rps)} req/s over ${hotLabel} of them, ${Math.round(runs.all.rps)} req/s over all`,
  );
  const rows = [];
  for (const [name, what, target] of [
    ['hot', `${hotLabel} of them verified`, true],
    ['all', 'a random one of all each request', false],
  ]) {
    const run = runs[name];
    const ratio = run.rps / small.run.rps;
    rows.push(
      {
        name: `verify over HTTP, ${label} keys stored, ${what}`,
        value: run.rps,
        unit: 'req/s',
        baseline: small.run.rps,
        baselineName: `${hotLabel} keys stored`,
        ratio,
        ...(target ? { target: '>= 0.9 of 1,000 keys', pass: ratio >= 0.9 } : {}),
      },
      {
        name: `verify p99 latency, ${label} keys stored, ${what}`,
        value: run.p99,
        unit: 'ms',
        baseline: small.run.p99,
        baselineName: `${hotLabel} keys stored`,
      },
      {
        name: `verify server CPU per request, ${label} keys stored, ${what}`,
        value: run.cpuPerRequest,
        unit: 'µs',
        baseline: small.run.cpuPerRequest,
        baselineName: `${hotLabel} keys stored`,
        ratio: run.cpuPerRequest / small.run.cpuPerRequest,
      },
    );
  }
  return [
    ...rows,
    {
      name: `server resident size, ${label} keys stored, after the load`,
      value: mib(loaded),
      unit: 'MiB',
      baseline: mib(small.rss),
      baselineName: `${hotLabel} keys, after the load`,
      ratio: loaded / small.rss,
    },
    { name: `server resident size, ${label} keys stored, idle after start`, value: mib(idle), unit: 'MiB' },
    { name: `seeding ${label} keys (bulk, into the log and api_keys)`, value: seeded.seconds, unit: 's' },
  ];
}

/** Item 3: services.verifyKey in a loop, over keys that are all cached. */
function inProcess(dir, { inProcessSeconds }, log) {
  const dbPath = join(dir, 'in-process.db');
  const keysFile = join(dir, 'in-process-keys.txt');
  // Enough keys that the loop never meets a rate limit: each allows a burst of 10,000.
  seedKeys(dbPath, { count: 1000, keysFile, scope: 'query_only' });
  const keys = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean);
  const services = createServices(
    configFromEnv({ DATABASE_PATH: dbPath, KEYLEDGER_PEPPER: BENCH_PEPPER, LOG_LEVEL: 'silent' }),
  );
  const request = (key) => ({
    key,
    endpoint: '/query',
    ip: '127.0.0.1',
    userAgent: 'bench',
    requestId: null,
  });
  let invalid = 0;
  const verify = (i) => {
    if (!services.verifyKey(request(keys[i % keys.length])).output.valid) invalid++;
  };
  try {
    for (let i = 0; i < keys.length; i++) verify(i); // fills the cache
    services.store.flush();

    // The verification alone: runs shorter than a group-commit batch, each followed by the flush that
    // writes its uses, outside the timing. The writes are group commit's cost, measured next. Timed in
    // CPU time, which other work on a busy machine disturbs far less than the clock on the wall.
    const chunk = 999;
    let calls = 0;
    let timed = 0;
    const until = performance.now() + inProcessSeconds * 1000;
    while (performance.now() < until) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < chunk; i++) verify(calls + i);
      timed += cpuSecondsSince(c0);
      calls += chunk;
      services.store.flush();
    }
    const alone = calls / timed;

    // Everything a verification costs, its share of group commit included.
    const withWrites = Math.max(10_000, Math.round(calls / 10));
    const c1 = process.cpuUsage();
    for (let i = 0; i < withWrites; i++) verify(i);
    services.store.flush();
    const all = withWrites / cpuSecondsSince(c1);
    if (invalid > 0) throw new Error(`${invalid} in-process verifications were not VALID`);
    log(`in-process: ${Math.round(alone)} verifications/s, ${Math.round(all)}/s with their usage writes`);
    return [
      {
        name: 'in-process verify, cached key (usage buffered)',
        value: alone,
        unit: 'verif/CPU-s',
        target: '>= 500,000/s',
        pass: alone >= 500_000,
      },
      {
        name: 'in-process verify, cached key, incl. writing its key.used',
        value: all,
        unit: 'verif/CPU-s',
        baseline: alone,
        baselineName: 'usage buffered',
        ratio: all / alone,
      },
    ];
  } finally {
    services.close();
  }
}

/** Item 8: bytes of cached state per key, in a child process that can force garbage collection. */
async function cacheMemory({ cacheKeys }) {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--expose-gc',
    `${root}bench/lib/cache-memory.mjs`,
    String(cacheKeys),
  ]);
  const m = JSON.parse(stdout);
  return [
    {
      name: `cached key state per key (key cache + rate limiter, ${cacheKeys.toLocaleString('en-US')} keys)`,
      value: m.totalBytesPerKey,
      unit: 'bytes',
      target: '<= 1,024 bytes',
      pass: m.totalBytesPerKey <= 1024,
    },
    { name: 'of which the key cache entry', value: m.cacheBytesPerKey, unit: 'bytes' },
    { name: 'of which the rate-limiter state', value: m.limiterBytesPerKey, unit: 'bytes' },
  ];
}

export async function run({ smoke, log = () => {} }) {
  const sizes = smoke
    ? { seconds: 0.5, warmupSeconds: 0, keys: 1000, manyKeys: 5000, inProcessSeconds: 0.2, cacheKeys: 10_000 }
    : {
        seconds: 5,
        warmupSeconds: 1,
        keys: 1000,
        manyKeys: 1_000_000,
        inProcessSeconds: 2,
        cacheKeys: 100_000,
      };
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-bench-verify-'));
  try {
    if (smoke) {
      // The bulk seed must be exactly what the store would have written.
      seedKeys(join(dir, 'check.db'), { count: 200 });
      checkSeeded(join(dir, 'check.db'));
    }
    const http = await overHttp(dir, sizes, log);
    const scale = await manyKeys(dir, sizes, { run: http.results.verify.run, rss: http.results.rss }, log);
    return [...http.rows, ...scale, ...inProcess(dir, sizes, log), ...(await cacheMemory(sizes))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
