import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConflictError,
  createKeyledger,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ValidationError,
  type KeyledgerClient,
} from '@keyledger/sdk';
import { PASSWORD, startLiveServer, uniqueUsername, type LiveServer } from './live-server.js';

let server: LiveServer;
let anonymous: KeyledgerClient;
let ada: KeyledgerClient;

beforeAll(async () => {
  server = await startLiveServer();
  anonymous = createKeyledger({ baseUrl: server.url });
  const username = uniqueUsername('ada');
  await anonymous.auth.register({ username, password: PASSWORD });
  const { access_token } = await anonymous.auth.signIn({ username, password: PASSWORD });
  ada = anonymous.withAccessToken(access_token);
});
afterAll(() => server.close());

describe('client against a real server', () => {
  it('registers, signs in, reads the user and signs out', async () => {
    const username = uniqueUsername('bob');
    const user = await anonymous.auth.register({ username, password: PASSWORD });
    expect(user).toMatchObject({ username, role: 'user' });

    const token = await anonymous.auth.signIn({ username, password: PASSWORD });
    expect(token.token_type).toBe('bearer');
    const bob = anonymous.withAccessToken(token.access_token);
    expect(await bob.auth.me()).toMatchObject({ user_id: user.user_id, username });

    expect(await bob.auth.signOut()).toEqual({ signed_out: true });
    await expect(bob.auth.me()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('answers a wrong password with AuthenticationError INVALID_CREDENTIALS and a request id', async () => {
    const error = await anonymous.auth
      .signIn({ username: uniqueUsername('nobody'), password: 'wrong-password' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect((error as AuthenticationError).requestId).toMatch(/.+/);
  });

  it('surfaces sign-in throttling as RateLimitError with retryAfterMs, without waiting minutes for it', async () => {
    const username = uniqueUsername('throttled');
    await anonymous.auth.register({ username, password: PASSWORD });
    let error: unknown;
    const started = performance.now();
    for (let i = 0; i < 8 && !(error instanceof RateLimitError); i++) {
      error = await anonymous.auth.signIn({ username, password: 'wrong password' }).catch((e: unknown) => e);
    }
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'SIGN_IN_THROTTLED' });
    expect((error as RateLimitError).retryAfterMs).toBeGreaterThan(60_000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('reads a token from a function before every call', async () => {
    const username = uniqueUsername('fn');
    await anonymous.auth.register({ username, password: PASSWORD });
    const { access_token } = await anonymous.auth.signIn({ username, password: PASSWORD });
    const client = createKeyledger({ baseUrl: server.url, accessToken: async () => access_token });
    expect((await client.auth.me()).username).toBe(username);
  });

  it('generates, lists, gets, updates, regenerates and revokes a key', async () => {
    const created = await ada.keys.generate({ name: 'search', scope: 'query_only', expires_in_days: 30 });
    expect(created.key).toMatch(/^rag_[0-9A-Za-z]{49}$/);
    expect(created).toMatchObject({ name: 'search', scope: 'query_only', status: 'active', rate_limit: 100 });

    const list = await ada.keys.list();
    expect(list.keys.map((k) => k.key_id)).toContain(created.key_id);
    expect(JSON.stringify(list)).not.toContain(created.key);

    const fetched = await ada.keys.get({ key_id: created.key_id });
    expect(fetched).not.toHaveProperty('key');
    expect(fetched.name).toBe('search');

    const updated = await ada.keys.update({
      key_id: created.key_id,
      description: 'used by the search backend',
    });
    expect(updated.description).toBe('used by the search backend');

    const rolled = await ada.keys.regenerate({ key_id: created.key_id, grace_period_seconds: 60 });
    expect(rolled.key_id).toBe(created.key_id);
    expect(rolled.key).not.toBe(created.key);
    expect(rolled.previous_key_expires_at).not.toBeNull();

    const revoked = await ada.keys.revoke({ key_id: created.key_id, reason: 'test' });
    expect(revoked.status).toBe('revoked');
    expect((await ada.keys.list({ status: 'revoked' })).keys.map((k) => k.key_id)).toContain(created.key_id);
  });

  it('reads a key as it was before a change (as_of)', async () => {
    const created = await ada.keys.generate({ name: 'before' });
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ada.keys.update({ key_id: created.key_id, name: 'after' });
    expect((await ada.keys.get({ key_id: created.key_id, as_of: between })).name).toBe('before');
    expect((await ada.keys.get({ key_id: created.key_id })).name).toBe('after');
  });

  it('lists the scopes without signing in', async () => {
    const { scopes } = await anonymous.keys.scopes();
    expect(scopes.map((s) => s.scope).sort()).toEqual(
      ['admin', 'full_access', 'ingest_only', 'query_only', 'read_only'].sort(),
    );
  });

  it('verifies a key and counts its use in usage and the audit trail', async () => {
    const created = await ada.keys.generate({ name: 'verified', scope: 'query_only', rate_limit: 50 });
    const result = await anonymous.verify.key({ key: created.key, scope: 'query_only', endpoint: '/search' });
    expect(result).toMatchObject({ valid: true, code: 'VALID', key_id: created.key_id, scope: 'query_only' });
    expect(result.ratelimit).toMatchObject({ limit: 50, remaining: 49 });

    expect((await anonymous.verify.key({ key: created.key, scope: 'ingest_only' })).code).toBe(
      'INSUFFICIENT_SCOPE',
    );
    expect((await anonymous.verify.key({ key: 'rag_not-a-key' })).code).toBe('MALFORMED');

    await server.app.services.store.flush();
    const usage = await ada.usage.key({ key_id: created.key_id, days: 7 });
    expect(usage.total).toBeGreaterThanOrEqual(2);
    expect(usage.endpoints.map((e) => e.endpoint)).toContain('/search');

    const overview = await ada.usage.overview({ days: 7 });
    expect(overview.keys.map((k) => k.key_id)).toContain(created.key_id);
    expect(overview.total).toBeGreaterThanOrEqual(2);

    const { events } = await ada.audit.keyEvents({ key_id: created.key_id });
    expect(events[0]).toMatchObject({ type: 'key.created' });
    expect(events[0]?.actor?.username).toBeTruthy();
  });

  it('hides another user’s key behind NotFoundError, exactly like a missing one', async () => {
    const created = await ada.keys.generate({ name: 'private' });
    const username = uniqueUsername('eve');
    await anonymous.auth.register({ username, password: PASSWORD });
    const eve = anonymous.withAccessToken(
      (await anonymous.auth.signIn({ username, password: PASSWORD })).access_token,
    );

    const theirs = await eve.keys.get({ key_id: created.key_id }).catch((e: unknown) => e);
    const missing = await eve.keys.get({ key_id: 'key_does_not_exist' }).catch((e: unknown) => e);
    expect(theirs).toBeInstanceOf(NotFoundError);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((theirs as NotFoundError).code).toBe((missing as NotFoundError).code);
    expect((theirs as NotFoundError).message).toBe((missing as NotFoundError).message);
  });

  it('reports each rejected field of an invalid input as a ValidationError issue', async () => {
    const error = await ada.keys.generate({ name: '', rate_limit: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual(['name', 'rate_limit']);
  });

  it('refuses an admin key to a user with PermissionError', async () => {
    await expect(ada.keys.generate({ name: 'root', scope: 'admin' })).rejects.toBeInstanceOf(PermissionError);
  });

  it('answers a taken username with ConflictError USERNAME_TAKEN', async () => {
    const username = uniqueUsername('taken');
    await anonymous.auth.register({ username, password: PASSWORD });
    const error = await anonymous.auth.register({ username, password: PASSWORD }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('USERNAME_TAKEN');
  });

  it('replays a mutation sent again with the same idempotency key, and refuses it with another input', async () => {
    const idempotencyKey = `test-${Date.now()}`;
    const first = await ada.keys.generate({ name: 'once' }, { idempotencyKey });
    const again = await ada.keys.generate({ name: 'once' }, { idempotencyKey });
    expect(again.key_id).toBe(first.key_id);
    const conflict = await ada.keys.generate({ name: 'other' }, { idempotencyKey }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('hands the final status and headers to onResponse', async () => {
    const created = await ada.keys.generate({ name: 'headers', rate_limit: 10 });
    let seen: { status: number; limit: string | null; requestId: string | null } | undefined;
    await anonymous.verify.key(
      { key: created.key },
      {
        onResponse: (r) =>
          (seen = { status: r.status, limit: r.headers.get('x-ratelimit-limit'), requestId: r.requestId }),
      },
    );
    expect(seen).toMatchObject({ status: 200, limit: '10' });
    expect(seen?.requestId).toBeTruthy();
  });
});
