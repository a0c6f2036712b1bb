import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, startTestServer, testClock, type TestServer } from '../support/test-server.js';

type Key = { key_id: string; key: string; status: string; key_prefix: string; usage_count: number };
type Verify = { valid: boolean; code: string; key_id: string | null };

const DAY = 86_400_000;
const PASSWORD_A = 'alice-horse-battery-staple';
const PASSWORD_B = 'bob-correct-horse-battery';

describe('key service over HTTP', () => {
  const clock = testClock();
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let alice: string;
  let bob: string;
  const secrets: string[] = [PASSWORD_A, PASSWORD_B];

  const generate = async (token: string, body: Record<string, unknown> = {}) => {
    const res = await api.call<Key>('POST', '/api-keys/generate', { token, body: { name: 'k', ...body } });
    expect(res.status).toBe(201);
    secrets.push(res.body.key);
    return res.body;
  };
  const verify = async (key: string, extra: Record<string, unknown> = {}) =>
    (await api.call<Verify>('POST', '/api-keys/verify', { body: { key, ...extra } })).body;

  beforeAll(async () => {
    // Sessions must outlive the clock moves below (a day and a minute).
    server = await startTestServer({
      clock: clock.now,
      env: { KEYLEDGER_SESSION_TTL_SECONDS: String(30 * 86400) },
    });
    api = restClient(server.url);
    alice = await api.signUp('alice', PASSWORD_A);
    bob = await api.signUp('bob', PASSWORD_B);
    secrets.push(alice, bob);
  });
  afterAll(() => server?.close());

  it('takes a key through its whole lifecycle', async () => {
    const created = await generate(alice, {
      name: 'prod',
      description: 'for prod',
      scope: 'query_only',
      rate_limit: 50,
    });
    expect(created.key).toMatch(/^rag_[0-9A-Za-z]{49}$/);
    expect(created).toMatchObject({ status: 'active', key_prefix: created.key.slice(0, 10) });
    expect(created).not.toHaveProperty('key_hash');

    const got = await api.call('GET', `/api-keys/${created.key_id}`, { token: alice });
    expect(got.body).toMatchObject({ name: 'prod', scope: 'query_only', rate_limit: 50 });
    expect(got.body).not.toHaveProperty('key');

    const updated = await api.call('PUT', `/api-keys/${created.key_id}`, {
      token: alice,
      body: { name: 'production' },
    });
    expect(updated.body).toMatchObject({ name: 'production', description: 'for prod' });

    expect(await verify(created.key, { endpoint: '/query' })).toMatchObject({ valid: true, code: 'VALID' });
    await server.app.services.store.flush();
    const afterUse = await api.call<Key>('GET', `/api-keys/${created.key_id}`, { token: alice });
    expect(afterUse.body.usage_count).toBe(1);

    const revoked = await api.call('DELETE', `/api-keys/${created.key_id}`, { token: alice });
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(await verify(created.key)).toMatchObject({ valid: false, code: 'REVOKED' });
    const again = await api.call('DELETE', `/api-keys/${created.key_id}`, { token: alice });
    expect(again.status).toBe(200);

    const events = await api.call<{ events: { type: string }[] }>(
      'GET',
      `/api-keys/${created.key_id}/events`,
      {
        token: alice,
      },
    );
    expect(events.body.events.map((e) => e.type)).toEqual(['key.created', 'key.updated', 'key.revoked']);
  });

  it("answers another user's key id exactly like a missing one, on every key route", async () => {
    const key = await generate(alice);
    const routes: [string, string, unknown?][] = [
      ['GET', `/api-keys/${key.key_id}`],
      ['PUT', `/api-keys/${key.key_id}`, { name: 'x' }],
      ['DELETE', `/api-keys/${key.key_id}`],
      ['POST', `/api-keys/${key.key_id}/regenerate`, {}],
      ['GET', `/api-keys/${key.key_id}/usage`],
      ['GET', `/api-keys/${key.key_id}/events`],
    ];
    for (const [method, path, body] of routes) {
      const theirs = await api.call(method, path, { token: bob, body });
      const missing = await api.call(method, path.replace(key.key_id, 'key_doesnotexist'), {
        token: bob,
        body,
      });
      expect(theirs.status, `${method} ${path}`).toBe(404);
      expect(theirs.body).toEqual(missing.body);
    }
    const list = await api.call<{ keys: Key[] }>('GET', '/api-keys/list', { token: bob });
    expect(list.body.keys.map((k) => k.key_id)).not.toContain(key.key_id);
    expect(await verify(key.key)).toMatchObject({ valid: true });
  });

  it('stops the old secret at once when regenerating without a grace period', async () => {
    const key = await generate(alice);
    const res = await api.call<Key>('POST', `/api-keys/${key.key_id}/regenerate`, { token: alice, body: {} });
    secrets.push(res.body.key);
    expect(res.body.key_id).toBe(key.key_id);
    expect(res.body.key).not.toBe(key.key);
    expect((await verify(key.key)).valid).toBe(false);
    expect(await verify(res.body.key)).toMatchObject({ valid: true, key_id: key.key_id });
  });

  it('keeps the old secret working through a grace period, and not after', async () => {
    const key = await generate(alice);
    const res = await api.call<Key & { previous_key_expires_at: string }>(
      'POST',
      `/api-keys/${key.key_id}/regenerate`,
      { token: alice, body: { grace_period_seconds: 60 } },
    );
    secrets.push(res.body.key);
    expect(res.body.previous_key_expires_at).toBe(new Date(clock.now() + 60_000).toISOString());
    expect(await verify(key.key)).toMatchObject({ valid: true, key_id: key.key_id });
    clock.advance(61_000);
    expect((await verify(key.key)).valid).toBe(false);
    expect(await verify(res.body.key)).toMatchObject({ valid: true });
  });

  it('fails an expired key with EXPIRED once the clock passes its expiry', async () => {
    const key = await generate(alice, { expires_in_days: 1 });
    expect(await verify(key.key)).toMatchObject({ valid: true });
    clock.advance(DAY + 1);
    expect(await verify(key.key)).toMatchObject({ valid: false, code: 'EXPIRED' });
    const got = await api.call<Key>('GET', `/api-keys/${key.key_id}`, { token: alice });
    expect(got.body.status).toBe('expired');
  });

  it('rejects a mistyped key as MALFORMED before any lookup', async () => {
    const key = await generate(alice);
    const typo = key.key.slice(0, 20) + (key.key[20] === 'a' ? 'b' : 'a') + key.key.slice(21);
    expect(await verify(typo)).toMatchObject({ valid: false, code: 'MALFORMED', key_id: null });
  });

  it('lets exactly 10 of 25 concurrent verifications through a limit of 10', async () => {
    const key = await generate(alice, { rate_limit: 10 });
    const results = await Promise.all(Array.from({ length: 25 }, () => verify(key.key)));
    expect(results.filter((r) => r.valid)).toHaveLength(10);
    expect(results.filter((r) => r.code === 'RATE_LIMITED')).toHaveLength(15);
  });

  it('creates one key for a generate repeated with the same Idempotency-Key', async () => {
    const before = await api.call<{ keys: Key[]; total: number }>('GET', '/api-keys/list?limit=200', {
      token: bob,
    });
    const headers = { 'idempotency-key': 'gen-once-1' };
    const body = { name: 'once', scope: 'read_only' };
    const first = await api.call<Key>('POST', '/api-keys/generate', { token: bob, body, headers });
    const second = await api.call<Key>('POST', '/api-keys/generate', { token: bob, body, headers });
    secrets.push(first.body.key);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const after = await api.call<{ keys: Key[]; total: number }>('GET', '/api-keys/list?limit=200', {
      token: bob,
    });
    expect(after.body.keys.length).toBe(before.body.keys.length + 1);
    expect(after.body.total).toBe(after.body.keys.length);
    const conflict = await api.call('POST', '/api-keys/generate', {
      token: bob,
      body: { ...body, name: 'other' },
      headers,
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } });
  });

  it('never writes a plaintext key, access token or password to the database files or the logs', async () => {
    await server.app.services.store.flush();
    const files = readdirSync(server.dir).filter((f) => f.startsWith('keyledger.db'));
    expect(files).toContain('keyledger.db-wal');
    const blobs = files.map((f) => readFileSync(join(server.dir, f)));
    blobs.push(Buffer.from(server.logs()));
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      for (const blob of blobs)
        expect(blob.includes(Buffer.from(secret)), `found ${secret.slice(0, 8)}…`).toBe(false);
    }
  });
});
