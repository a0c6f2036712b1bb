// Issue #7, item 6: usage analytics for one key over 30 and 365 days, with 10,000,000 usage events
// stored: at most 50 ms. Measured through the `usage.key` procedure (what GET /api-keys/{id}/usage and
// the dashboard call), for the busiest key, beside the same calls on a log of 10,000 events.
//
// Ten million events take minutes to write on a 2-core machine, however they are written (the log's
// indexes, the raw usage rows and the rollups cost about 20 µs an event here), so the full run keeps the
// seeded database between runs: in $KEYLEDGER_BENCH_FIXTURES, or the system's temporary directory,
// under a name that changes whenever the database schema or the seeding (FIXTURE_VERSION) does. The
// first full run builds it and says how long that took.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStore } from '../../events/dist/index.js';
import { configFromEnv, createCaller, createServices } from '../../server/dist/index.js';
import { BENCH_PEPPER, checkSeeded, keyIdOf, seedKeys } from '../lib/seed-keys.mjs';
import { seedUsage } from '../lib/seed-usage.mjs';

export const name = 'usage-analytics';

const DAY = 86_400_000;
const KEYS = 1000;
const KEYS_PER_USER = 100;
const DAYS = 400;

/**
 * Bump when the seeding code changes what a seeded database holds; the schema and the sizes are part of
 * the fingerprint anyway.
 */
const FIXTURE_VERSION = 1;

/** Names the large database: it changes whenever what the database holds would. */
function fingerprint(events) {
  const store = createEventStore({ path: ':memory:' });
  const schema = store.db
    .prepare('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name')
    .pluck()
    .all();
  store.close();
  return createHash('sha256')
    .update(JSON.stringify({ FIXTURE_VERSION, schema, events, keys: KEYS, KEYS_PER_USER, days: DAYS }))
    .digest('hex')
    .slice(0, 16);
}

/** Seeds KEYS keys and `events` uses over DAYS days up to `now`. */
function seed(path, events, now, log) {
  seedKeys(path, { count: KEYS, keysPerUser: KEYS_PER_USER, now: now - (DAYS + 1) * DAY });
  const store = createEventStore({ path, clock: () => now });
  const logCutoff = store.usageLogCutoff();
  let reported = 0;
  const seeded = seedUsage(store.db, {
    events,
    keys: KEYS,
    days: DAYS,
    now,
    logCutoff,
    onProgress: (written) => {
      if (written - reported >= 1_000_000) {
        reported = written;
        log(`  ${written.toLocaleString('en-US')} events written`);
      }
    },
  });
  store.close();
  return { ...seeded, logCutoff };
}

/** The large database: reused when one with the same fingerprint was finished before. */
function largeFixture(events, log) {
  const dir = process.env.KEYLEDGER_BENCH_FIXTURES ?? join(tmpdir(), 'keyledger-bench-fixtures');
  mkdirSync(dir, { recursive: true });
  const base = `usage-${events}-${fingerprint(events)}`;
  const path = join(dir, `${base}.db`);
  const done = join(dir, `${base}.done`);
  if (existsSync(done)) return { path, ...JSON.parse(readFileSync(done, 'utf8')), reused: true };
  for (const f of readdirSync(dir))
    if (f.startsWith(`usage-${events}-`)) rmSync(join(dir, f), { force: true });
  log(`building a fixture of ${events.toLocaleString('en-US')} usage events in ${dir} (kept for later runs)`);
  const now = Date.now();
  const seeded = seed(path, events, now, log);
  const meta = { seconds: seeded.seconds, now, busiestUses: seeded.usesPerKey[0] };
  writeFileSync(done, JSON.stringify(meta));
  return { path, ...meta, reused: false };
}

/**
 * Calls `usage.key` for key 0, as its owner, `runs` times for each window; the clock is the seed's
 * `now`, so that the windows cover the seeded days. Returns milliseconds per call, and what the 365-day
 * answer counted (which must be the key's uses in those days).
 */
async function measure(path, now, runs) {
  const services = createServices(
    configFromEnv({ DATABASE_PATH: path, KEYLEDGER_PEPPER: BENCH_PEPPER, LOG_LEVEL: 'silent' }),
    { clock: () => now },
  );
  try {
    const keyId = keyIdOf(0);
    const admin = { user_id: 'bench', username: 'bench', role: 'admin' };
    const owner = services.keys.assertOwned(admin, keyId).user_id;
    const caller = createCaller({
      services,
      meta: { requestId: 'bench', ip: '127.0.0.1', userAgent: 'bench', idempotencyKey: null },
      token: null,
      user: { user_id: owner, username: 'owner', role: 'user' },
      responseHeaders: {},
    });
    const figures = {};
    for (const days of [30, 365]) {
      const ms = [];
      let total = 0;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const usage = await caller.usage.key({ key_id: keyId, days });
        ms.push(performance.now() - t0);
        total = usage.total;
      }
      ms.sort((a, b) => a - b);
      figures[days] = { median: ms[Math.floor(ms.length / 2)], max: ms.at(-1), total };
    }
    // The owner's overview across all their keys (the dashboard's first page), fewer times: it is
    // not a figure the issue sets a target for, only one a user waits on.
    const overview = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const t0 = performance.now();
      await caller.usage.overview({ days: 30 });
      overview.push(performance.now() - t0);
    }
    figures.overview = { median: overview.sort((a, b) => a - b)[Math.floor(overview.length / 2)] };
    return figures;
  } finally {
    services.close();
  }
}

export async function run({ smoke, log = () => {} }) {
  const events = smoke ? 20_000 : 10_000_000;
  const runs = smoke ? 5 : 100;
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-bench-usage-'));
  try {
    const now = Date.now();
    const small = join(dir, 'small.db');
    const smallSeed = seed(small, 10_000, now, log);
    if (smoke) checkSeeded(small, smallSeed.logCutoff); // the bulk seed is what the store would hold
    const baseline = await measure(small, now, runs);

    let large;
    if (smoke) {
      const path = join(dir, 'large.db');
      const seeded = seed(path, events, now, log);
      large = { path, now, seconds: seeded.seconds, busiestUses: seeded.usesPerKey[0], reused: false };
    } else {
      large = largeFixture(events, log);
    }
    const figures = await measure(large.path, large.now, runs);
    const label = events.toLocaleString('en-US');
    log(
      `key 0 has ${large.busiestUses.toLocaleString('en-US')} of the ${label} uses; 365-day total ${figures[365].total.toLocaleString('en-US')}`,
    );
    if (figures[365].total === 0 || figures[365].total > large.busiestUses) {
      throw new Error(`the 365-day answer counted ${figures[365].total} uses`);
    }
    const rows = [];
    for (const days of [30, 365]) {
      rows.push(
        {
          name: `usage of one key over ${days} days, ${label} events stored: median`,
          value: figures[days].median,
          unit: 'ms',
          baseline: baseline[days].median,
          baselineName: '10,000 events stored',
          ratio: figures[days].median / baseline[days].median,
        },
        {
          name: `usage of one key over ${days} days, ${label} events stored: slowest of ${runs}`,
          value: figures[days].max,
          unit: 'ms',
          baseline: baseline[days].max,
          baselineName: '10,000 events stored',
          target: '<= 50 ms',
          pass: figures[days].max <= 50,
        },
      );
    }
    rows.push({
      name: `usage overview of one user's ${KEYS_PER_USER} keys over 30 days, ${label} events: median`,
      value: figures.overview.median,
      unit: 'ms',
      baseline: baseline.overview.median,
      baselineName: '10,000 events stored',
      ratio: figures.overview.median / baseline.overview.median,
    });
    rows.push({
      name: `seeding ${label} usage events (bulk, with projections)${large.reused ? ', in an earlier run' : ''}`,
      value: large.seconds,
      unit: 's',
    });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
