import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restClient, startTestServer, type TestServer } from '../support/test-server.js';

describe('accounts and sessions over HTTP', () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it('gives an unknown user and a wrong password the same answer', async () => {
    server = await startTestServer();
    const api = restClient(server.url);
    await api.signUp('carol', 'carol-password-1');
    const unknown = await api.call('POST', '/auth/token', {
      body: { username: 'nobody', password: 'whatever1' },
    });
    const wrong = await api.call('POST', '/auth/token', {
      body: { username: 'carol', password: 'whatever1' },
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('throttles repeated failures for one username with 429 and Retry-After', async () => {
    server = await startTestServer();
    const api = restClient(server.url);
    await api.signUp('dave', 'dave-password-1');
    for (let i = 0; i < 5; i++) {
      expect(
        (await api.call('POST', '/auth/token', { body: { username: 'dave', password: `nope-${i}-xx` } }))
          .status,
      ).toBe(401);
    }
    const throttled = await api.call('POST', '/auth/token', {
      body: { username: 'dave', password: 'dave-password-1' },
    });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ error: { code: 'SIGN_IN_THROTTLED' } });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('revokes the access token at sign-out and never issues one for a named user id', async () => {
    server = await startTestServer();
    const api = restClient(server.url);
    const token = await api.signUp('erin', 'erin-password-1');
    expect((await api.call('GET', '/auth/me', { token })).status).toBe(200);
    expect((await api.call('POST', '/auth/logout', { token })).status).toBe(200);
    expect((await api.call('GET', '/api-keys/list', { token })).status).toBe(401);
    const hole = await api.call('POST', '/auth/token?user_id=usr_1&role=admin', {});
    expect(hole.status).toBe(400);
    const forged = await api.call('GET', '/api-keys/list', { token: 'kls_' + 'A'.repeat(43) });
    expect(forged.status).toBe(401);
  });

  it('refuses sign-up when it is closed, and admin keys to non-admins', async () => {
    server = await startTestServer({ env: { KEYLEDGER_SIGNUP: 'closed' } });
    const api = restClient(server.url);
    const res = await api.call('POST', '/auth/register', {
      body: { username: 'frank', password: 'frank-password-1' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'SIGN_UP_DISABLED' } });

    const admin = await server.app.services.accounts.createUser(
      { username: 'root', password: 'root-password-1' },
      'admin',
      { requestId: 't', ip: null, userAgent: null, idempotencyKey: null },
      null,
    );
    await server.app.services.accounts.createUser(
      { username: 'gina', password: 'gina-password-1' },
      'user',
      { requestId: 't', ip: null, userAgent: null, idempotencyKey: null },
      null,
    );
    const login = async (username: string, password: string) =>
      (await api.call<{ access_token: string }>('POST', '/auth/token', { body: { username, password } })).body
        .access_token;
    const userToken = await login('gina', 'gina-password-1');
    const adminToken = await login('root', 'root-password-1');
    const denied = await api.call('POST', '/api-keys/generate', {
      token: userToken,
      body: { name: 'a', scope: 'admin' },
    });
    expect(denied.status).toBe(403);
    const allowed = await api.call('POST', '/api-keys/generate', {
      token: adminToken,
      body: { name: 'a', scope: 'admin' },
    });
    expect(allowed.status).toBe(201);
    expect((await api.call('GET', '/api-keys/list?all_users=true', { token: userToken })).status).toBe(403);
    const all = await api.call<{ keys: { user_id: string }[] }>('GET', '/api-keys/list?all_users=true', {
      token: adminToken,
    });
    expect(all.body.keys.map((k) => k.user_id)).toContain(admin.user_id);
  });

  it('records sign-ins and failures in the event log', async () => {
    server = await startTestServer();
    const api = restClient(server.url);
    await api.signUp('hal', 'hal-password-1');
    await api.call('POST', '/auth/token', { body: { username: 'hal', password: 'bad-password' } });
    const types = server.app.services.store.db
      .prepare("SELECT type FROM events WHERE type LIKE 'user.%' ORDER BY position")
      .pluck()
      .all();
    expect(types).toEqual(['user.registered', 'user.signed_in', 'user.sign_in_failed']);
  });

  it('keeps only a fingerprint of an unknown username, which may be a mistyped password', async () => {
    server = await startTestServer();
    const api = restClient(server.url);
    const typedInWrongField = 'My-Secret-Passphrase-42';
    for (let i = 0; i < 2; i++) {
      await api.call('POST', '/auth/token', { body: { username: typedInWrongField, password: 'whatever1' } });
    }
    const failures = server.app.services.store.db
      .prepare("SELECT stream_id, data FROM events WHERE type = 'user.sign_in_failed'")
      .all() as { stream_id: string; data: string }[];
    expect(failures).toHaveLength(2);
    expect(failures[0]?.stream_id).toBe(failures[1]?.stream_id);
    expect(JSON.parse(failures[0]?.data ?? '{}')).toMatchObject({
      username: expect.stringMatching(/^unknown:[0-9a-f]{32}$/),
    });
    const files = readdirSync(server.dir).filter((f) => f.startsWith('keyledger.db'));
    for (const f of files) expect(readFileSync(join(server.dir, f)).includes(typedInWrongField)).toBe(false);
  });

  it('limits sign-ups from one address, since each costs an argon2 hash', async () => {
    server = await startTestServer({ env: { KEYLEDGER_SIGNUPS_PER_HOUR: '3' } });
    const api = restClient(server.url);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.call('POST', '/auth/register', {
        body: { username: `u${i}x`, password: 'password-123' },
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('answers invalid JSON over tRPC as INVALID_JSON, as REST does', async () => {
    server = await startTestServer();
    const res = await fetch(`${server.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { data: { keyledgerCode: string } } };
    expect(body.error.data.keyledgerCode).toBe('INVALID_JSON');
  });
});
