import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from './support/database-checks.js';
import { restClient, startTestServer, testClock, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type Verify = {
  valid: boolean;
  code: string;
  ratelimit: { limit: number; remaining: number; reset: number } | null;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the injected clock moved under a running server', () => {
  const clock = testClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let token: string;

  const generate = async (body: Json) => {
    const res = await api.call<Json>('POST', '/api-keys/generate', {
      token,
      body: { name: 'clock', ...body },
    });
    expect(res.status).toBe(201);
    return res.body as { key: string; key_id: string };
  };
  const verify = async (key: string, extra: Json = {}) =>
    (await api.call<Verify>('POST', '/api-keys/verify', { body: { key, ...extra } })).body;
  const status = async (keyId: string) =>
    (await api.call<{ status: string }>('GET', `/api-keys/${keyId}`, { token })).body.status;

  beforeAll(async () => {
    server = await startTestServer({
      clock: clock.now,
      env: { KEYLEDGER_SESSION_TTL_SECONDS: String(30 * 86400) },
    });
    api = restClient(server.url);
    token = await api.signUp('time-traveller', 'time-travel-passphrase');
  });
  afterAll(() => server?.close());

  it('expires a key an hour after its expiry and not an hour before, whichever way the clock moves', async () => {
    const created = clock.now();
    const key = await generate({ expires_in_days: 1 });
    const expiry = created + DAY;

    clock.set(expiry - HOUR);
    expect(await verify(key.key)).toMatchObject({ valid: true, code: 'VALID' });
    expect(await status(key.key_id)).toBe('active');

    clock.set(expiry + HOUR);
    expect(await verify(key.key)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await status(key.key_id)).toBe('expired');
    const expired = await api.call<{ keys: { key_id: string }[] }>('GET', '/api-keys/list?status=expired', {
      token,
    });
    expect(expired.body.keys.map((k) => k.key_id)).toContain(key.key_id);

    // A clock stepped back (NTP, a restored VM) is believed: expiry is a function of the time now.
    clock.set(expiry - HOUR);
    expect(await verify(key.key)).toMatchObject({ valid: true, code: 'VALID' });
    clock.set(created);
  });

  it('restores a full window an hour later, and never locks a key out for more than a window when the clock steps back', async () => {
    const key = await generate({ rate_limit: 10 });
    const start = clock.now();
    for (let i = 0; i < 10; i++) expect((await verify(key.key)).code).toBe('VALID');
    const limited = await verify(key.key);
    expect(limited.code).toBe('RATE_LIMITED');

    clock.set(start + HOUR);
    const again = await Promise.all(Array.from({ length: 11 }, () => verify(key.key)));
    expect(again.filter((r) => r.code === 'VALID')).toHaveLength(10);
    expect(again.filter((r) => r.code === 'RATE_LIMITED')).toHaveLength(1);

    // The budget is spent at start + 1 h. Stepping back an hour must not double the debt: the key is
    // exactly as limited as right after spending it, and its reset is at most one window away.
    clock.set(start);
    const stepped = await api.call<Verify>('POST', '/api-keys/verify', { body: { key: key.key } });
    expect(stepped.body.code).toBe('RATE_LIMITED');
    expect((stepped.body.ratelimit?.reset ?? Infinity) - clock.now()).toBeLessThanOrEqual(HOUR);
    expect(Number(stepped.headers.get('x-ratelimit-reset') ?? NaN) * 1000 - clock.now()).toBeLessThanOrEqual(
      HOUR,
    );
    clock.set(start + HOUR / 10 + 1);
    expect((await verify(key.key)).code, 'one request per interval (6 min for 10/h) comes back').toBe(
      'VALID',
    );
  });

  it('does not lock an address out when the clock steps back an hour after a failed verification', async () => {
    const good = await generate({});
    const bad = await generate({});
    await api.call('DELETE', `/api-keys/${bad.key_id}`, { token });
    const t = clock.now();
    expect((await verify(bad.key)).code).toBe('REVOKED');
    clock.set(t - HOUR);
    expect(await verify(good.key)).toMatchObject({ valid: true, code: 'VALID' });
    clock.set(t);
  });

  it('puts usage on each side of midnight UTC in its own daily and hourly buckets, even when the clock steps back across it', async () => {
    const key = await generate({ scope: 'query_only', rate_limit: 10_000 });
    const day1 = Date.UTC(2026, 0, 20);
    const midnight = day1 + DAY;

    clock.set(midnight - 30_000); // 23:59:30 on the 20th
    for (let i = 0; i < 3; i++) expect((await verify(key.key)).valid).toBe(true);
    expect((await verify(key.key, { scope: 'admin' })).code).toBe('INSUFFICIENT_SCOPE');

    clock.set(midnight + 30_000); // 00:00:30 on the 21st
    for (let i = 0; i < 5; i++) expect((await verify(key.key)).valid).toBe(true);

    clock.set(midnight + 20 * 60_000); // 00:20 on the 21st, then an hour back: 23:20 on the 20th
    clock.advance(-HOUR);
    for (let i = 0; i < 2; i++) expect((await verify(key.key)).valid).toBe(true);
    clock.set(midnight + 12 * HOUR);
    server.app.services.store.flush();

    const usage = await api.call<{ daily: { date: string; successes: number; failures: number }[] }>(
      'GET',
      `/api-keys/${key.key_id}/usage?days=2`,
      { token },
    );
    expect(usage.status).toBe(200);
    expect(usage.body.daily).toEqual([
      { date: '2026-01-20', successes: 5, failures: 1 },
      { date: '2026-01-21', successes: 5, failures: 0 },
    ]);
    const hours = withDatabase(server.databasePath, (db) =>
      db
        .prepare(
          `SELECT bucket_start, sum(successes) AS successes, sum(failures) AS failures FROM key_usage_rollups
           WHERE key_id = ? AND granularity = 'hour' GROUP BY bucket_start ORDER BY bucket_start`,
        )
        .all(key.key_id),
    );
    expect(hours).toEqual([
      { bucket_start: midnight - HOUR, successes: 5, failures: 1 },
      { bucket_start: midnight, successes: 5, failures: 0 },
    ]);
  });
});
