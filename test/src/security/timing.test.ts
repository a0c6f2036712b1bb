/**
 * Timing of refused verifications. An attacker who can time answers should learn nothing they could not
 * compute themselves. The classes below differ in cost by design (a malformed key or a failed checksum
 * is refused before the HMAC and the lookup), but the checksum is public, so that difference tells an
 * attacker nothing. What must not differ is the time of well-formed guesses: a guess that shares 40 of
 * its 43 random characters with a real key must cost what any other guess costs, or timing would guide
 * a search. Bounds are generous (the machine is shared and noisy); SECURITY.md records the figures.
 */
import { generateKey } from '@keyledger/server';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { LONG } from '../reliability/support/child-server.js';

const IN_PROCESS_SAMPLES = LONG ? 50_000 : 5_000;
const HTTP_SAMPLES = LONG ? 2_000 : 300;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SYSTEM = { requestId: 'timing', ip: null, userAgent: null, idempotencyKey: null };

type Class = 'malformed' | 'bad checksum' | 'unknown' | 'near miss';
const CLASSES: Class[] = ['malformed', 'bad checksum', 'unknown', 'near miss'];

/** A key whose random part is exactly `randomPart` (43 base62 characters), with a correct checksum. */
function keyWithRandomPart(randomPart: string): string {
  const bytes = Buffer.from([...randomPart].map((c) => BASE62.indexOf(c)));
  return generateKey('rag', (size) => Buffer.concat([bytes, Buffer.alloc(Math.max(0, size - bytes.length))]))
    .plaintext;
}

const randomBase62 = (n: number) => [...randomBytes(n)].map((b) => BASE62[b % 62]).join('');

/** A fresh candidate of each class, made before timing starts. */
function candidates(realKey: string, n: number): Record<Class, string[]> {
  const real = realKey.slice(4, 47);
  const out: Record<Class, string[]> = { malformed: [], 'bad checksum': [], unknown: [], 'near miss': [] };
  for (let i = 0; i < n; i++) {
    out.malformed.push(`rag_${randomBase62(40)}-${randomBase62(8)}`);
    const unknown = keyWithRandomPart(randomBase62(43));
    const c = unknown[30] as string;
    out['bad checksum'].push(unknown.slice(0, 30) + BASE62[(BASE62.indexOf(c) + 1) % 62] + unknown.slice(31));
    out.unknown.push(keyWithRandomPart(randomBase62(43)));
    out['near miss'].push(keyWithRandomPart(real.slice(0, 40) + randomBase62(3)));
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] as number;
};

/** Measures each class in turn, in a shuffled order per round, so drift and noise hit all alike. */
async function interleaved(
  n: number,
  pool: Record<Class, string[]>,
  measure: (key: string) => Promise<number> | number,
): Promise<Record<Class, number[]>> {
  const times: Record<Class, number[]> = { malformed: [], 'bad checksum': [], unknown: [], 'near miss': [] };
  for (let i = 0; i < n; i++) {
    const order = [...CLASSES].sort(() => Math.random() - 0.5);
    for (const cls of order) times[cls].push(await measure(pool[cls][i] as string));
  }
  return times;
}

function summary(label: string, times: Record<Class, number[]>, unit: string, scale: number) {
  const rows = CLASSES.map(
    (c) =>
      `${c.padEnd(13)} median ${(median(times[c]) * scale).toFixed(2)} ${unit}, p90 ${(percentile(times[c], 0.9) * scale).toFixed(2)} ${unit}`,
  );
  console.info(`${label} (${times.unknown.length} samples per class, interleaved):\n  ${rows.join('\n  ')}`);
}

describe('timing of refused verifications', () => {
  let server: TestServer;
  let realKey: string;

  beforeAll(async () => {
    server = await startTestServer({
      failedVerificationsPerMinute: 100_000_000,
      env: { KEYLEDGER_MAX_KEYS_PER_USER: '1000' },
    });
    const user = await server.app.services.accounts.createUser(
      { username: 'timer', password: 'timing-test-passphrase' },
      'user',
      SYSTEM,
      null,
    );
    // A database with some keys in it, as a lookup would meet in practice.
    for (let i = 0; i < 200; i++) {
      const k = server.app.services.keys.generate(
        { ...user, role: 'user' },
        { name: `k${i}`, description: null, scope: 'read_only', expires_in_days: null, rate_limit: 100 },
        SYSTEM,
      );
      realKey = k.key;
    }
  });
  afterAll(() => server?.close());

  it('refuses every class in microseconds in process, and a near miss costs what any guess costs', async () => {
    const { verifyKey } = server.app.services;
    const pool = candidates(realKey, IN_PROCESS_SAMPLES);
    // Warm up the code paths (JIT, statement cache) on candidates not measured.
    const warm = candidates(realKey, 500);
    for (const c of CLASSES)
      for (const k of warm[c]) verifyKey({ key: k, ip: '203.0.113.7', userAgent: null });

    const times = await interleaved(IN_PROCESS_SAMPLES, pool, (key) => {
      const t0 = process.hrtime.bigint();
      const r = verifyKey({ key, ip: '203.0.113.7', userAgent: null });
      const ns = Number(process.hrtime.bigint() - t0);
      if (r.output.valid) throw new Error('a candidate was valid');
      return ns;
    });
    summary('in-process verifyKey', times, 'µs', 1e-3);
    const m = Object.fromEntries(CLASSES.map((c) => [c, median(times[c]) / 1000])) as Record<Class, number>;
    // The secret-dependent comparison: within a factor of 1.5 either way.
    expect(m['near miss'] / m.unknown).toBeGreaterThan(1 / 1.5);
    expect(m['near miss'] / m.unknown).toBeLessThan(1.5);
    // The public, shape-dependent differences: all far below what a network can resolve.
    for (const c of CLASSES) expect(m[c], c).toBeLessThan(200);
  }, 120_000);

  it('shows no usable difference over HTTP between the classes', async () => {
    const pool = candidates(realKey, HTTP_SAMPLES);
    const url = `${server.url}/api-keys/verify`;
    const post = async (key: string) => {
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
      });
      await res.arrayBuffer();
      return performance.now() - t0;
    };
    for (const c of CLASSES) for (const k of pool[c].slice(0, 50)) await post(k);
    const times = await interleaved(HTTP_SAMPLES, pool, post);
    summary('HTTP POST /api-keys/verify', times, 'ms', 1);
    const medians = CLASSES.map((c) => median(times[c]));
    const spread = Math.max(...medians) - Math.min(...medians);
    // Generous: the medians of all four classes lie within 0.5 ms, or 35% of the fastest, of each other.
    expect(spread).toBeLessThan(Math.max(0.5, 0.35 * Math.min(...medians)));
  }, 120_000);
});
