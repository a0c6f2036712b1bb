import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiKeyOf,
  createKeyledger,
  requireApiKey,
  type KeyledgerClient,
  type RequireApiKeyOptions,
} from '@keyledger/sdk';
import { PASSWORD, startLiveServer, uniqueUsername, type LiveServer } from './live-server.js';

let keyledger: LiveServer;
let owner: KeyledgerClient;
const apps: Server[] = [];

beforeAll(async () => {
  keyledger = await startLiveServer();
  const anonymous = createKeyledger({ baseUrl: keyledger.url });
  const username = uniqueUsername('guarded');
  await anonymous.auth.register({ username, password: PASSWORD });
  owner = anonymous.withAccessToken(
    (await anonymous.auth.signIn({ username, password: PASSWORD })).access_token,
  );
});
afterAll(async () => {
  for (const app of apps) {
    app.closeAllConnections();
    app.close();
  }
  await keyledger.close();
});

/** A node:http service protected by requireApiKey, verifying against the real Keyledger server. */
async function protectedService(options: Omit<RequireApiKeyOptions, 'baseUrl'>) {
  const guard = requireApiKey({ baseUrl: keyledger.url, ...options });
  const app = createServer((req, res) =>
    guard(req, res, () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ key_id: apiKeyOf(req)?.key_id }));
    }),
  );
  apps.push(app);
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  return (path: string, key?: string) =>
    fetch(base + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

describe('requireApiKey against a real server', () => {
  it('lets a valid key through with the same rate-limit headers Keyledger sends', async () => {
    const { key, key_id } = await owner.keys.generate({ name: 'svc', scope: 'query_only', rate_limit: 20 });
    const call = await protectedService({ scope: 'query_only' });
    const response = await call('/search', key);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ key_id });
    expect(response.headers.get('x-ratelimit-limit')).toBe('20');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('19');
    expect(response.headers.get('ratelimit-policy')).toBe('20;w=3600');
    expect(response.headers.get('ratelimit')).toMatch(/^limit=20, remaining=19, reset=\d+$/);
  });

  it('answers 401 without a key or with an unknown one, 403 for a scope that falls short', async () => {
    const { key } = await owner.keys.generate({ name: 'reader', scope: 'read_only' });
    const call = await protectedService({ scope: 'query_only' });
    expect((await call('/search')).status).toBe(401);
    const unknownKey = (await owner.keys.generate({ name: 'gone' })).key.replace(/^rag_/, 'zzz_');
    expect((await call('/search', unknownKey)).status).toBe(401);
    const narrow = await call('/search', key);
    expect(narrow.status).toBe(403);
    expect(await narrow.json()).toMatchObject({ error: { code: 'INSUFFICIENT_SCOPE' } });
  });

  it('enforces the key’s rate limit exactly, though answers are cached', async () => {
    const { key } = await owner.keys.generate({ name: 'limited', rate_limit: 5 });
    const call = await protectedService({});
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await call('/x', key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const refused = await call('/x', key);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('never lets concurrent requests past the limit, cached or not', async () => {
    const cold = await owner.keys.generate({ name: 'burst', rate_limit: 10 });
    const warm = await owner.keys.generate({ name: 'warm burst', rate_limit: 10 });
    const call = await protectedService({});
    const burst = (key: string, n: number) =>
      Promise.all(Array.from({ length: n }, () => call('/x', key).then((r) => r.status)));

    const coldStatuses = await burst(cold.key, 25);
    expect(coldStatuses.filter((s) => s === 200)).toHaveLength(10);

    // With a cached answer, waves of concurrent requests are admitted on the cache: still exactly 10.
    expect(await burst(warm.key, 1)).toEqual([200]);
    const waves = [
      ...(await burst(warm.key, 6)),
      ...(await burst(warm.key, 6)),
      ...(await burst(warm.key, 6)),
    ];
    expect(waves.filter((s) => s === 200)).toHaveLength(9);
    expect(waves.filter((s) => s === 429)).toHaveLength(9);
  });

  it('has Keyledger count every admitted request in the key’s usage', async () => {
    const { key, key_id } = await owner.keys.generate({ name: 'counted' });
    const call = await protectedService({ endpoint: '/counted' });
    for (let i = 0; i < 6; i++) expect((await call('/anything', key)).status).toBe(200);
    await expect
      .poll(async () => {
        await keyledger.app.services.store.flush();
        return (await owner.usage.key({ key_id, days: 1 })).total;
      })
      .toBe(6);
    expect((await owner.usage.key({ key_id, days: 1 })).endpoints.map((e) => e.endpoint)).toEqual([
      '/counted',
    ]);
  });

  it('stops a revoked key within the cache bound', async () => {
    const { key, key_id } = await owner.keys.generate({ name: 'to revoke' });
    const call = await protectedService({ cacheTtlMs: 5_000 });
    expect((await call('/x', key)).status).toBe(200);
    await owner.keys.revoke({ key_id });
    const revokedAt = Date.now();
    // At most the requests within one verification round-trip pass; then every request is refused.
    await expect.poll(async () => (await call('/x', key)).status, { timeout: 5_000, interval: 10 }).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    for (let i = 0; i < 3; i++) expect((await call('/x', key)).status).toBe(401);
  });

  it('refuses a revoked key at once with cacheTtlMs: 0', async () => {
    const { key, key_id } = await owner.keys.generate({ name: 'strict' });
    const call = await protectedService({ cacheTtlMs: 0 });
    expect((await call('/x', key)).status).toBe(200);
    await owner.keys.revoke({ key_id });
    expect((await call('/x', key)).status).toBe(401);
  });

  it('checks fetch Requests too', async () => {
    const { key, key_id } = await owner.keys.generate({ name: 'fetch-style', scope: 'full_access' });
    const guard = requireApiKey({ baseUrl: keyledger.url, scope: 'query_only' });
    const ok = await guard.check(
      new Request('http://svc.test/q', { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(ok).toMatchObject({ ok: true, key: { key_id, scope: 'full_access' } });
    const refused = await guard.check(new Request('http://svc.test/q'));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.response.status).toBe(401);
  });
});
