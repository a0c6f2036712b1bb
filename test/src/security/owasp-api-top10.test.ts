/**
 * The OWASP API Security Top 10 (2023) as tests, one describe per category. Related suites elsewhere:
 * the scope matrix (test/src/rest/scope-matrix.test.ts) for API5, bad input on every route
 * (test/src/rest/bad-input.test.ts) for API4 and API8, and the OpenAPI inventory
 * (test/src/rest/openapi.test.ts) for API9.
 */
import { restRoutes } from '@keyledger/server';
import { randomBytes, createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testClock, type TestServer } from '../support/test-server.js';
import { removeDir, startChildServer, tempDir } from '../reliability/support/child-server.js';
import { databaseFiles, findSecrets } from '../reliability/support/database-checks.js';
import { errorCode, recordingClient, sendFrom, type Json, type RecordingClient } from './support/http.js';

const SYSTEM = { requestId: 'test', ip: null, userAgent: null, idempotencyKey: null };
const PASSWORDS = {
  alice: 'alice-owasp-passphrase',
  bob: 'bob-owasp-passphrase',
  root: 'root-owasp-passphrase',
};
const MISSING_KEY_ID = 'key_00000000000000000000000000000000';
const HEX_DIGEST = /\b[0-9a-f]{64}\b/;
const STACK_TRACE = /\bat [\w.<>]+ \(|\.(ts|js):\d+:\d+|node_modules|\/work\/|SqliteError|"stack"/;

interface Key {
  key_id: string;
  key: string;
  user_id: string;
  scope: string;
}

/** Every plaintext secret the suite handles; none may be in the database, the log or an error body. */
const secrets = new Set<string>(Object.values(PASSWORDS));
/** Servers this suite started, checked for leaked secrets at the end. */
const servers: TestServer[] = [];

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

const eventCount = (s: TestServer): number => {
  s.app.services.store.flush();
  return s.app.services.store.db.prepare('SELECT count(*) FROM events').pluck().get() as number;
};

async function signUp(api: RecordingClient, username: string, password: string): Promise<string> {
  const reg = await api.post('/auth/register', { username, password });
  expect(reg.status, reg.text).toBe(201);
  return signIn(api, username, password);
}

async function signIn(api: RecordingClient, username: string, password: string): Promise<string> {
  const res = await api.post<{ access_token: string }>('/auth/token', { username, password });
  expect(res.status, res.text).toBe(200);
  secrets.add(res.body.access_token);
  return res.body.access_token;
}

async function generate(api: RecordingClient, token: string, body: Json = {}): Promise<Key> {
  const res = await api.post<Key>(
    '/api-keys/generate',
    { name: 'owasp', rate_limit: 10_000, ...body },
    token,
  );
  expect(res.status, res.text).toBe(201);
  secrets.add(res.body.key);
  return res.body;
}

/** A concrete path for a route template, on a given key. */
const pathFor = (template: string, keyId: string) =>
  template.replace('{key_id}', encodeURIComponent(keyId)).replace('{asset}', 'swagger-ui.css');
const bodyFor = (method: string): Json | undefined =>
  method === 'PUT' ? { name: 'taken over' } : method === 'GET' ? undefined : {};

const DASHBOARD_BUILT = existsDashboardBuild();
if (!DASHBOARD_BUILT)
  console.warn('dashboard headers not checked: no dashboard build (npm run build makes one)');

describe('OWASP API Security Top 10 (2023)', () => {
  const clock = testClock();
  let main: TestServer;
  let api: RecordingClient;
  let alice: string;
  let bob: string;
  let root: string;
  let aliceKey: Key;
  let bobKey: Key;

  beforeAll(async () => {
    main = await server({ clock: clock.now, env: { KEYLEDGER_SESSION_TTL_SECONDS: String(30 * 86400) } });
    api = recordingClient(main.url);
    alice = await signUp(api, 'alice', PASSWORDS.alice);
    bob = await signUp(api, 'bob', PASSWORDS.bob);
    await main.app.services.accounts.createUser(
      { username: 'root', password: PASSWORDS.root },
      'admin',
      SYSTEM,
      null,
    );
    root = await signIn(api, 'root', PASSWORDS.root);
    aliceKey = await generate(api, alice, { name: 'alice prod', scope: 'full_access' });
    bobKey = await generate(api, bob, { name: 'bob prod', scope: 'full_access' });
  });

  describe('API1 broken object-level authorisation', () => {
    const keyRoutes = restRoutes.filter((r) => r.path.includes('{key_id}'));

    it('has key routes to test', () => expect(keyRoutes.length).toBeGreaterThanOrEqual(6));

    it.each(keyRoutes.map((r) => ({ name: `${r.method} ${r.path}`, method: r.method, path: r.path })))(
      "$name answers another user's key exactly like a missing one, and changes nothing",
      async ({ method, path }) => {
        const before = eventCount(main);
        const theirs = await api.send({
          method,
          path: pathFor(path, aliceKey.key_id),
          json: bodyFor(method),
          bearer: bob,
        });
        const missing = await api.send({
          method,
          path: pathFor(path, MISSING_KEY_ID),
          json: bodyFor(method),
          bearer: bob,
        });
        expect(theirs.status).toBe(404);
        expect(theirs.body).toEqual(missing.body);
        expect(eventCount(main)).toBe(before);
      },
    );

    it("answers another user's key like a missing one over tRPC too", async () => {
      const procedures: [kind: 'query' | 'mutation', name: string, input: Json][] = [
        ['query', 'keys.get', {}],
        ['mutation', 'keys.update', { name: 'taken over' }],
        ['mutation', 'keys.revoke', {}],
        ['mutation', 'keys.regenerate', {}],
        ['query', 'usage.key', {}],
        ['query', 'audit.keyEvents', {}],
      ];
      const before = eventCount(main);
      for (const [kind, name, input] of procedures) {
        const call = kind === 'query' ? api.trpcQuery : api.trpcMutation;
        const theirs = await call(name, { key_id: aliceKey.key_id, ...input }, bob);
        const missing = await call(name, { key_id: MISSING_KEY_ID, ...input }, bob);
        expect(theirs.status, name).toBe(404);
        expect(errorCode(theirs.body), name).toBe('KEY_NOT_FOUND');
        expect(errorCode(missing.body), name).toBe('KEY_NOT_FOUND');
      }
      expect(eventCount(main)).toBe(before);
      const get = await api.get<{ name: string; status: string }>(`/api-keys/${aliceKey.key_id}`, alice);
      expect(get.body).toMatchObject({ name: 'alice prod', status: 'active' });
    });

    it("never lists another user's keys, and refuses to when asked by id", async () => {
      const list = await api.get<{ keys: Key[] }>('/api-keys/list?limit=200', bob);
      expect(list.body.keys.map((k) => k.user_id).every((u) => u === bobKey.user_id)).toBe(true);
      const asked = await api.get(`/api-keys/list?user_id=${aliceKey.user_id}`, bob);
      expect(asked.status).toBe(403);
    });

    it("keeps each account's knowledge base to itself", async () => {
      const ingest = await api.post(
        '/ingest',
        { data_type: 'text', content: 'The zebra constellation rises over Quillhaven at dusk.' },
        aliceKey.key,
      );
      expect(ingest.status).toBe(201);
      const own = await api.post<{ sources: unknown[] }>(
        '/query',
        { query: 'zebra constellation' },
        aliceKey.key,
      );
      expect(own.body.sources.length).toBeGreaterThan(0);
      const other = await api.post<{ sources: unknown[]; answer: string }>(
        '/query',
        { query: 'zebra constellation Quillhaven' },
        bobKey.key,
      );
      expect(other.status).toBe(200);
      expect(other.body.sources).toEqual([]);
      expect(other.body.answer).not.toContain('Quillhaven');
    });

    it("never replays another user's reply for the same Idempotency-Key", async () => {
      const headers = { 'idempotency-key': 'shared-idempotency-key-1' };
      const body = { name: 'same request', rate_limit: 10_000 };
      const mine = await api.post<Key>('/api-keys/generate', body, alice, headers);
      const theirs = await api.post<Key>('/api-keys/generate', body, bob, headers);
      secrets.add(mine.body.key).add(theirs.body.key);
      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.body.key_id).not.toBe(mine.body.key_id);
      expect(theirs.body.key).not.toBe(mine.body.key);
      expect(theirs.body.user_id).toBe(bobKey.user_id);
    });

    it("never replays someone's sign-in to a request with their Idempotency-Key but a wrong password", async () => {
      const headers = { 'idempotency-key': 'sign-in-shared-1' };
      const real = await api.post<{ access_token: string }>(
        '/auth/token',
        { username: 'alice', password: PASSWORDS.alice },
        undefined,
        headers,
      );
      secrets.add(real.body.access_token);
      const forged = await api.post(
        '/auth/token',
        { username: 'alice', password: 'not-her-password' },
        undefined,
        headers,
      );
      expect(forged.status).toBe(401);
      expect(forged.text).not.toContain(real.body.access_token);
    });
  });

  describe('API2 broken authentication', () => {
    it('refuses forged, altered and misplaced credentials on REST, tRPC and the session cookie', async () => {
      const tokenHash = createHash('sha256').update(alice).digest('hex');
      const forged = [
        'kls_' + randomBytes(32).toString('base64url'),
        alice.slice(0, -1) + (alice.endsWith('A') ? 'B' : 'A'),
        alice + 'x',
        tokenHash,
        'kls_' + tokenHash,
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290Iiwicm9sZSI6ImFkbWluIn0.',
        aliceKey.key,
        'x'.repeat(600),
      ];
      for (const token of forged) {
        const rest = await api.get('/api-keys/list', token);
        expect(rest.status, token.slice(0, 12)).toBe(401);
        const trpc = await api.trpcQuery('keys.list', {}, token);
        expect(trpc.status, token.slice(0, 12)).toBe(401);
        const cookie = await api.trpcQuery('keys.list', {}, undefined, {
          cookie: `keyledger_session=${encodeURIComponent(token)}`,
        });
        expect(cookie.status, token.slice(0, 12)).toBe(401);
      }
      for (const auth of [
        `Basic ${Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64')}`,
        `Bearer ${alice} ${bob}`,
        `Token ${alice}`,
      ]) {
        const res = await api.send({
          method: 'GET',
          path: '/api-keys/list',
          headers: { authorization: auth },
        });
        expect(res.status, auth.slice(0, 10)).toBe(401);
      }
    });

    it('refuses an access token past its lifetime, and accepts it until then', async () => {
      const c = testClock();
      const s = await server({ clock: c.now, env: { KEYLEDGER_SESSION_TTL_SECONDS: '3600' } });
      const client = recordingClient(s.url);
      const token = await signUp(client, 'mayfly', 'mayfly-owasp-passphrase');
      secrets.add('mayfly-owasp-passphrase');
      c.advance(3600_000 - 1000);
      expect((await client.get('/auth/me', token)).status).toBe(200);
      c.advance(2000);
      expect((await client.get('/auth/me', token)).status).toBe(401);
      expect((await client.trpcQuery('auth.me', undefined, token)).status).toBe(401);
      const cookie = await client.trpcQuery('auth.me', undefined, undefined, {
        cookie: `keyledger_session=${token}`,
      });
      expect(cookie.status).toBe(401);
    });

    it('refuses a signed-out token everywhere, and leaves the user’s other sessions alone', async () => {
      const first = await signIn(api, 'bob', PASSWORDS.bob);
      const second = await signIn(api, 'bob', PASSWORDS.bob);
      expect((await api.post('/auth/logout', undefined, first)).status).toBe(200);
      expect((await api.get('/auth/me', first)).status).toBe(401);
      expect((await api.trpcQuery('auth.me', undefined, first)).status).toBe(401);
      expect(
        (await api.trpcQuery('auth.me', undefined, undefined, { cookie: `keyledger_session=${first}` }))
          .status,
      ).toBe(401);
      expect((await api.get('/auth/me', second)).status).toBe(200);
    });

    it('refuses credentials in the query string, and does not log them', async () => {
      const verify = await api.post(`/api-keys/verify?key=${aliceKey.key}`, { key: aliceKey.key });
      expect(verify.status).toBe(400);
      const list = await api.get(`/api-keys/list?access_token=${alice}`);
      expect(list.status).toBe(400);
      const info = await api.get(`/system/info?api_key=${aliceKey.key}`);
      expect([400, 401]).toContain(info.status);
      for (const res of [verify, list, info]) {
        expect(res.text).not.toContain(aliceKey.key);
        expect(res.text).not.toContain(alice);
      }
      expect(main.logs()).not.toContain(aliceKey.key);
      expect(main.logs()).not.toContain(alice);
    });

    it('throttles sign-in from one address across usernames, with Retry-After, and not other addresses', async () => {
      const s = await server();
      const client = recordingClient(s.url);
      await signUp(client, 'victim', 'victim-owasp-passphrase');
      secrets.add('victim-owasp-passphrase');
      let throttled = null;
      for (let i = 0; i < 25 && !throttled; i++) {
        const res = await client.post('/auth/token', { username: `guess-${i}`, password: 'password123' });
        if (res.status === 429) throttled = res;
        else expect(res.status).toBe(401);
      }
      expect(throttled, 'the address is throttled').not.toBeNull();
      expect(errorCode(throttled?.body)).toBe('SIGN_IN_THROTTLED');
      const retryAfter = Number(throttled?.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(900);
      // Even the right password is not heard from this address now...
      const right = await client.post('/auth/token', {
        username: 'victim',
        password: 'victim-owasp-passphrase',
      });
      expect(right.status).toBe(429);
      // ...but the owner, from elsewhere, gets in.
      const elsewhere = await sendFrom('127.0.0.2', s.url, 'POST', '/auth/token', {
        json: { username: 'victim', password: 'victim-owasp-passphrase' },
      });
      expect(elsewhere.status).toBe(200);
      secrets.add(elsewhere.body.access_token as string);
    });
  });

  describe('API3 broken object property-level authorisation', () => {
    it.each([
      ['user_id', 'usr_someone_else'],
      ['status', 'active'],
      ['key_hash', 'a'.repeat(64)],
      ['usage_count', 0],
      ['key_id', 'key_chosen'],
      ['key', 'rag_chosen'],
      ['key_prefix', 'rag_x'],
      ['created_at', '2020-01-01T00:00:00Z'],
      ['revoked_at', null],
      ['rate_window', 1],
      ['role', 'admin'],
    ])('refuses to generate a key with %s set (mass assignment), appending nothing', async (field, value) => {
      const before = eventCount(main);
      const res = await api.post('/api-keys/generate', { name: 'mass', [field]: value }, alice);
      expect(res.status).toBe(400);
      expect(errorCode(res.body)).toBe('VALIDATION_FAILED');
      expect(JSON.stringify((res.body as Json).error)).toContain(field);
      expect(eventCount(main)).toBe(before);
    });

    it.each([
      ['scope', 'admin'],
      ['rate_limit', 10_000],
      ['expires_in_days', 365],
      ['expires_at', null],
      ['status', 'active'],
      ['user_id', 'usr_x'],
      ['key_hash', 'b'.repeat(64)],
      ['usage_count', 0],
    ])('refuses to update %s (only name and description change), appending nothing', async (field, value) => {
      const before = eventCount(main);
      const res = await api.send({
        method: 'PUT',
        path: `/api-keys/${aliceKey.key_id}`,
        json: { name: 'renamed', [field]: value },
        bearer: alice,
      });
      expect(res.status).toBe(400);
      expect(eventCount(main)).toBe(before);
      const trpc = await api.trpcMutation('keys.update', { key_id: aliceKey.key_id, [field]: value }, alice);
      expect(trpc.status).toBe(400);
      expect(eventCount(main)).toBe(before);
    });

    it('refuses a role or a user id chosen at sign-up', async () => {
      for (const extra of [{ role: 'admin' }, { user_id: 'usr_chosen' }, { password_hash: '$argon2id$' }]) {
        const res = await api.post('/auth/register', {
          username: 'mallory',
          password: 'mallory-passphrase',
          ...extra,
        });
        expect(res.status).toBe(400);
      }
      secrets.add('mallory-passphrase');
      const trpc = await api.trpcMutation('auth.register', {
        username: 'mallory',
        password: 'mallory-passphrase',
        role: 'admin',
      });
      expect(trpc.status).toBe(400);
    });

    it('shows no hash or secret in any answer, save the one-time key and the sign-in token', async () => {
      const regenerated = await api.post<Key>(
        `/api-keys/${aliceKey.key_id}/regenerate`,
        { grace_period_seconds: 60 },
        alice,
      );
      secrets.add(regenerated.body.key);
      await api.post('/api-keys/verify', { key: regenerated.body.key, endpoint: '/query' });
      const reads = [
        await api.get('/auth/me', alice),
        await api.get('/api-keys/list?limit=200', alice),
        await api.get('/api-keys/list?all_users=true&limit=200', root),
        await api.get(`/api-keys/${aliceKey.key_id}`, alice),
        await api.get(
          `/api-keys/${aliceKey.key_id}?as_of=${encodeURIComponent(new Date(clock.now()).toISOString())}`,
          alice,
        ),
        await api.get(`/api-keys/${aliceKey.key_id}/events`, alice),
        await api.get(`/api-keys/${aliceKey.key_id}/usage`, alice),
        await api.post('/api-keys/verify', { key: regenerated.body.key }),
        await api.get('/system/info', regenerated.body.key),
        await api.post('/query', { query: 'zebra' }, regenerated.body.key),
        await api.trpcQuery('keys.list', {}, alice),
        await api.trpcQuery('usage.overview', { days: 30 }, alice),
        await api.trpcQuery('audit.keyEvents', { key_id: aliceKey.key_id }, alice),
        await api.get('/healthz'),
      ];
      for (const res of reads) {
        expect(res.status, res.text.slice(0, 200)).toBe(200);
        expect(res.text).not.toMatch(HEX_DIGEST);
        expect(res.text).not.toMatch(/\$argon2|key_hash|password_hash|token_hash|pepper/);
        for (const secret of secrets) expect(res.text.includes(secret), `${secret.slice(0, 8)}…`).toBe(false);
      }
      for (const res of [
        regenerated,
        await api.post<Key>('/api-keys/generate', { name: 'shown once' }, alice),
      ]) {
        const { key, ...rest } = res.body as Key;
        secrets.add(key);
        expect(JSON.stringify(rest)).not.toContain(key);
        expect(JSON.stringify(rest)).not.toMatch(HEX_DIGEST);
      }
    });
  });

  describe('API4 unrestricted resource consumption', () => {
    it('refuses a body over 64 KiB with 413 on REST, tRPC and the knowledge API', async () => {
      const big = 'x'.repeat(70 * 1024);
      const before = eventCount(main);
      const rest = await api.post('/api-keys/generate', { name: 'big', description: big }, alice);
      expect(rest.status).toBe(413);
      const trpc = await api.trpcMutation('keys.generate', { name: 'big', description: big }, alice);
      expect(trpc.status).toBe(413);
      const ingest = await api.post('/ingest', { data_type: 'text', content: big }, aliceKey.key);
      expect(ingest.status).toBe(413);
      expect(eventCount(main)).toBe(before);
    });

    it('caps page sizes and ranges', async () => {
      expect((await api.get('/api-keys/list?limit=200', alice)).status).toBe(200);
      expect((await api.get('/api-keys/list?limit=201', alice)).status).toBe(400);
      expect((await api.get('/api-keys/list?limit=100000000', alice)).status).toBe(400);
      expect((await api.trpcQuery('keys.list', { limit: 1000 }, alice)).status).toBe(400);
      expect((await api.get(`/api-keys/${bobKey.key_id}/usage?days=366`, bob)).status).toBe(400);
      expect((await api.post('/query', { query: 'zebra', top_k: 11 }, bobKey.key)).status).toBe(400);
    });

    it('caps active keys per user, exactly, even under concurrent generates', async () => {
      const s = await server({ env: { KEYLEDGER_MAX_KEYS_PER_USER: '3' } });
      const client = recordingClient(s.url);
      const token = await signUp(client, 'hoarder', 'hoarder-owasp-passphrase');
      secrets.add('hoarder-owasp-passphrase');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          client.post<Key>('/api-keys/generate', { name: `k${i}` }, token),
        ),
      );
      for (const r of results) if (r.status === 201) secrets.add(r.body.key);
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      const refused = results.filter((r) => r.status === 409);
      expect(refused).toHaveLength(7);
      expect(errorCode(refused[0]?.body)).toBe('KEY_LIMIT_REACHED');
      const revoked = results.find((r) => r.status === 201) as { body: Key };
      await client.send({ method: 'DELETE', path: `/api-keys/${revoked.body.key_id}`, bearer: token });
      const after = await client.post<Key>('/api-keys/generate', { name: 'replacement' }, token);
      expect(after.status).toBe(201);
      secrets.add(after.body.key);
    });

    it('limits failed verifications per address, without refusing other addresses', async () => {
      const s = await server({ failedVerificationsPerMinute: 5 });
      const client = recordingClient(s.url);
      const token = await signUp(client, 'prober', 'prober-owasp-passphrase');
      secrets.add('prober-owasp-passphrase');
      const key = await generate(client, token, { scope: 'full_access' });
      const wrong = key.key.slice(0, 10) + (key.key[10] === 'A' ? 'B' : 'A') + key.key.slice(11);
      for (let i = 0; i < 5; i++) {
        // Spoofed X-Forwarded-For headers change nothing: the proxy is not trusted by default.
        const res = await client.post('/api-keys/verify', { key: wrong }, undefined, {
          'x-forwarded-for': `10.0.0.${i}`,
        });
        expect((res.body as Json).valid).toBe(false);
      }
      const blocked = await client.post('/api-keys/verify', { key: key.key });
      expect(blocked.body).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
      const knowledge = await client.post('/query', { query: 'anything' }, key.key);
      expect(knowledge.status).toBe(429);
      expect(Number(knowledge.headers.get('retry-after'))).toBeGreaterThan(0);
      const elsewhere = await sendFrom('127.0.0.3', s.url, 'POST', '/api-keys/verify', {
        json: { key: key.key },
      });
      expect(elsewhere.body).toMatchObject({ valid: true, code: 'VALID' });
    });
  });

  describe('API5 broken function-level authorisation', () => {
    it('lets no user create an admin key, over REST or tRPC', async () => {
      const before = eventCount(main);
      const rest = await api.post('/api-keys/generate', { name: 'escalate', scope: 'admin' }, alice);
      expect(rest.status).toBe(403);
      const trpc = await api.trpcMutation('keys.generate', { name: 'escalate', scope: 'admin' }, alice);
      expect(trpc.status).toBe(403);
      expect(eventCount(main)).toBe(before);
      const admin = await api.post<Key>('/api-keys/generate', { name: 'ops', scope: 'admin' }, root);
      expect(admin.status).toBe(201);
      secrets.add(admin.body.key);
    });

    it('keeps the admin listing to admins, and takes a demotion into effect on the next request', async () => {
      expect((await api.get('/api-keys/list?all_users=true', alice)).status).toBe(403);
      expect((await api.trpcQuery('keys.list', { all_users: true }, alice)).status).toBe(403);
      expect((await api.get(`/api-keys/list?user_id=${bobKey.user_id}`, alice)).status).toBe(403);
      const all = await api.get<{ keys: Key[] }>('/api-keys/list?all_users=true&limit=200', root);
      const owners = new Set(all.body.keys.map((k) => k.user_id));
      expect(owners.has(aliceKey.user_id) && owners.has(bobKey.user_id)).toBe(true);

      main.app.services.accounts.setRole('root', 'user', SYSTEM, null);
      expect((await api.get('/api-keys/list?all_users=true', root)).status).toBe(403);
      main.app.services.accounts.setRole('root', 'admin', SYSTEM, null);
    });

    it('takes no API key, even an admin-scoped one, as a credential for managing keys', async () => {
      const admin = await api.post<Key>('/api-keys/generate', { name: 'ops 2', scope: 'admin' }, root);
      secrets.add(admin.body.key);
      for (const [method, path] of [
        ['GET', '/api-keys/list'],
        ['POST', '/api-keys/generate'],
        ['DELETE', `/api-keys/${aliceKey.key_id}`],
      ] as const) {
        const res = await api.send({
          method,
          path,
          bearer: admin.body.key,
          json: method === 'GET' ? undefined : { name: 'x' },
        });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    });
  });

  describe('API6 unrestricted access to sensitive business flows', () => {
    it('caps how long a regenerated key’s old secret may keep working at 7 days', async () => {
      const key = await generate(api, bob);
      const tooLong = await api.post(
        `/api-keys/${key.key_id}/regenerate`,
        { grace_period_seconds: 7 * 86400 + 1 },
        bob,
      );
      expect(tooLong.status).toBe(400);
      const week = await api.post<Key>(
        `/api-keys/${key.key_id}/regenerate`,
        { grace_period_seconds: 7 * 86400 },
        bob,
      );
      expect(week.status).toBe(200);
      secrets.add(week.body.key);
    });

    it('limits how many accounts one address can register in an hour', async () => {
      const limited = await startTestServer({ env: { KEYLEDGER_SIGNUPS_PER_HOUR: '2' } });
      try {
        const register = (username: string) =>
          fetch(`${limited.url}/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username, password: 'a long passphrase' }),
          });
        expect((await register('first1')).status).toBe(201);
        expect((await register('second2')).status).toBe(201);
        const third = await register('third3');
        expect(third.status).toBe(429);
        expect(third.headers.get('retry-after')).not.toBeNull();
      } finally {
        await limited.close();
      }
    });
  });

  describe('API7 server-side request forgery', () => {
    it('never fetches a URL it is given: ingestion takes text only', async () => {
      let connections = 0;
      const listener = createServer((_req, res) => res.end('fetched'));
      listener.on('connection', () => connections++);
      await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
      const port = (listener.address() as { port: number }).port;
      try {
        const url = `http://127.0.0.1:${port}/internal`;
        const asUrl = await api.post('/ingest', { data_type: 'url', content: url }, aliceKey.key);
        expect(asUrl.status).toBe(400);
        const asText = await api.post(
          '/ingest',
          { data_type: 'text', content: url, metadata: { source: url } },
          aliceKey.key,
        );
        expect(asText.status).toBe(201);
        await new Promise((r) => setTimeout(r, 200));
        expect(connections).toBe(0);
      } finally {
        listener.close();
      }
    });
  });

  describe('API8 security misconfiguration', () => {
    it('answers every kind of error without a stack trace, a file path or a driver message', async () => {
      const errors = [
        await api.send({
          method: 'POST',
          path: '/api-keys/generate',
          raw: '{',
          headers: { 'content-type': 'application/json' },
          bearer: alice,
        }),
        await api.send({
          method: 'POST',
          path: '/trpc/keys.generate',
          raw: '{',
          headers: { 'content-type': 'application/json' },
          bearer: alice,
        }),
        await api.send({
          method: 'POST',
          path: '/api-keys/generate',
          raw: 'name=x',
          headers: { 'content-type': 'text/plain' },
          bearer: alice,
        }),
        await api.get('/no/such/route'),
        await api.get('/trpc/no.such.procedure'),
        await api.send({ method: 'PATCH', path: '/api-keys/list', bearer: alice }),
        await api.get('/api-keys/list'),
        await api.get(`/api-keys/%E0%A4%A`, alice),
        await api.post('/api-keys/generate', { name: 'x', scope: 'admin' }, alice),
        await api.post('/api-keys/generate', { name: 'x'.repeat(70_000) }, alice),
        await api.post('/query', { query: 'x' }, 'rag_' + 'A'.repeat(49)),
        await api.trpcMutation('keys.generate', { name: 12 }, alice),
      ];
      for (const res of errors) {
        expect(res.status, res.text.slice(0, 200)).toBeGreaterThanOrEqual(400);
        expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
        expect(res.text).not.toMatch(STACK_TRACE);
      }
    });

    it('treats query text as text: search and SQL syntax never reach the engine as syntax', async () => {
      const before = eventCount(main);
      for (const query of [
        '"',
        'NEAR(a b',
        'a AND (',
        '*',
        'content:zebra',
        "'; DROP TABLE events; --",
        '{a b}',
        ')',
      ]) {
        const res = await api.post<{ answer: string }>('/query', { query }, aliceKey.key);
        expect(res.status, query).toBe(200);
      }
      // Only the uses of the key were recorded; the log and the tables are intact.
      const types = main.app.services.store.db
        .prepare('SELECT DISTINCT type FROM events WHERE position > ?')
        .pluck()
        .all(before);
      expect(types).toEqual(['key.used']);
      expect((await api.post('/query', { query: 'zebra' }, aliceKey.key)).status).toBe(200);
    });

    it('hides what went wrong inside an unexpected failure, on REST and tRPC alike', async () => {
      const keys = main.app.services.keys;
      const original = keys.list;
      keys.list = () => {
        throw new Error('kaboom in /srv/keyledger/secret-internals.ts:12:3');
      };
      try {
        for (const res of [
          await api.get('/api-keys/list', alice),
          await api.trpcQuery('keys.list', {}, alice),
        ]) {
          expect(res.status).toBe(500);
          expect(errorCode(res.body)).toBe('INTERNAL');
          expect(res.text).not.toMatch(/kaboom|secret-internals/);
          expect(res.text).not.toMatch(STACK_TRACE);
        }
      } finally {
        keys.list = original;
      }
    });

    it('sends no-store and nosniff on answers that carry secrets, and no CORS grant to other origins', async () => {
      const origin = { origin: 'https://evil.example' };
      const answers = [
        await api.post('/api-keys/generate', { name: 'headers' }, alice, origin),
        await api.trpcMutation('keys.generate', { name: 'headers' }, alice, origin),
        await api.post('/auth/token', { username: 'alice', password: PASSWORDS.alice }, undefined, origin),
        await api.trpcMutation(
          'auth.signIn',
          { username: 'alice', password: PASSWORDS.alice },
          undefined,
          origin,
        ),
        await api.get('/api-keys/list', alice, origin),
      ];
      for (const res of answers) {
        const where = `${res.status} ${res.text.slice(0, 80)}`;
        const body = res.body as {
          key?: string;
          access_token?: string;
          result?: { data?: { key?: string; access_token?: string } };
        };
        for (const s of [
          body.key,
          body.access_token,
          body.result?.data?.key,
          body.result?.data?.access_token,
        ]) {
          if (s) secrets.add(s);
        }
        expect(res.headers.get('cache-control'), where).toContain('no-store');
        expect(res.headers.get('x-content-type-options'), where).toBe('nosniff');
        expect(res.headers.get('access-control-allow-origin'), where).toBeNull();
        expect(res.headers.get('x-powered-by'), where).toBeNull();
      }
    });

    it('does not echo a TRACE request', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(main.url);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/api-keys/list',
            method: 'TRACE',
            headers: { authorization: `Bearer ${alice}` },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => {
              expect(text).not.toContain(alice);
              resolve(res.statusCode ?? 0);
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect([404, 405]).toContain(status);
    });

    it('keeps its database, its WAL and its pepper private to the service’s user', async () => {
      const dir = tempDir('modes');
      const databasePath = join(dir, 'keyledger.db');
      const child = await startChildServer({ databasePath, logFile: join(dir, 'server.log') });
      try {
        const client = recordingClient(child.url);
        await signUp(client, 'modes', 'modes-owasp-passphrase');
        secrets.add('modes-owasp-passphrase');
        for (const file of [...databaseFiles(databasePath), join(dir, 'keyledger.pepper')]) {
          expect((statSync(file).mode & 0o077).toString(8), file).toBe('0');
        }
      } finally {
        await child.kill();
        removeDir(dir);
      }
    });

    it.skipIf(!DASHBOARD_BUILT)(
      'sets a CSP with frame-ancestors, and nosniff, on the dashboard',
      async () => {
        // The dashboard's own tests own the details; this checks what `npm start` serves.
        const dir = tempDir('dashboard');
        const child = await startChildServer({
          databasePath: join(dir, 'keyledger.db'),
          logFile: join(dir, 'server.log'),
        });
        try {
          // A page carries the CSP; every answer, redirects too, carries nosniff and refuses framing.
          const page = await fetch(`${child.url}/sign-in`);
          expect(page.status).toBe(200);
          expect(page.headers.get('content-security-policy') ?? '').toMatch(/frame-ancestors '(none|self)'/);
          for (const res of [page, await fetch(`${child.url}/`, { redirect: 'manual' })]) {
            expect(res.headers.get('x-content-type-options')).toBe('nosniff');
            expect(res.headers.get('x-frame-options')).toBe('DENY');
          }
        } finally {
          await child.kill();
          removeDir(dir);
        }
      },
    );
  });

  describe('API9 improper inventory management', () => {
    it('serves nothing at common debug, legacy or admin paths', async () => {
      for (const path of [
        '/debug',
        '/admin',
        '/metrics',
        '/.env',
        '/server-status',
        '/api/v1/api-keys/list',
        '/v1/api-keys/list',
        '/trpc/',
        '/trpc/keys',
        '/auth/token/debug',
      ]) {
        const res = await api.get(path, root);
        expect(res.status, path).toBe(404);
      }
    });

    it('has no way to get a token by naming a user id or a role (the brief’s /auth/token?user_id=…&role=…)', async () => {
      const adminBob = await main.app.services.accounts.findByUsername('bob');
      const hole = await api.post(`/auth/token?user_id=${adminBob?.user_id}&role=admin`, {});
      expect(hole.status).toBe(400);
      expect(hole.text).not.toContain('access_token');
      expect((await api.get(`/auth/token?user_id=${adminBob?.user_id}&role=admin`)).status).toBe(405);
    });
  });

  // API10 (unsafe consumption of APIs) does not apply: the server consumes no other API. The SDK's
  // middleware consumes this one; its handling of bad answers is tested in test/src/sdk.

  describe('secrets at rest, in logs and in error answers', () => {
    it('neither echoes nor logs a key sent in a URL path by mistake', async () => {
      const key = aliceKey.key;
      const answers = [
        await api.get(`/no-such-route/${key}`, alice),
        await api.get(`/api-keys/${key}`, alice),
        await api.get(`/trpc/${key}`, alice),
        await api.get(`/docs/${key}`),
        await api.post(`/api-keys/verify?${key}=1`, { key: 'x' }),
      ];
      for (const res of answers) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.text.includes(key), res.text.slice(0, 120)).toBe(false);
      }
      expect(main.logs().includes(key)).toBe(false);
    });
  });

  afterAll(async () => {
    // The byte search: no plaintext key, token or password in any database, WAL or log of this suite,
    // nor in any error answer it received.
    const errorBodies = Object.fromEntries(
      api.answers.filter((a) => a.answer.status >= 400).map((a, i) => [`error answer ${i}`, a.answer.text]),
    );
    const found: string[] = [];
    for (const s of servers) {
      s.app.services.store.flush();
      found.push(...findSecrets(secrets, databaseFiles(s.databasePath), { log: s.logs() }));
    }
    found.push(...findSecrets(secrets, [], errorBodies));
    for (const s of servers) await s.close();
    expect(found).toEqual([]);
    expect(secrets.size).toBeGreaterThan(20);
  });
});

function existsDashboardBuild(): boolean {
  try {
    return statSync(new URL('../../../dashboard/build/handler.js', import.meta.url)).isFile();
  } catch {
    return false;
  }
}
