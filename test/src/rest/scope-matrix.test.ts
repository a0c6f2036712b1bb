import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  errorShapeProblem,
  generateKey,
  movableClock,
  signIn,
  signUp,
  startServer,
  type RestServer,
} from './harness.js';

type Scope = 'read_only' | 'query_only' | 'ingest_only' | 'full_access' | 'admin';
type Route = 'GET /system/info' | 'POST /query' | 'POST /ingest';

const BODIES: Record<Route, unknown> = {
  'GET /system/info': undefined,
  'POST /query': { query: 'what do keys protect?' },
  'POST /ingest': { data_type: 'text', content: 'Keys protect the knowledge API.', metadata: {} },
};
const ROUTES = Object.keys(BODIES) as Route[];

/** The brief's scopes, written out by hand: the test must not read the table it checks. */
const EXPECTED: Record<Scope, Record<Route, number>> = {
  read_only: { 'GET /system/info': 200, 'POST /query': 403, 'POST /ingest': 403 },
  query_only: { 'GET /system/info': 200, 'POST /query': 200, 'POST /ingest': 403 },
  ingest_only: { 'GET /system/info': 200, 'POST /query': 403, 'POST /ingest': 201 },
  full_access: { 'GET /system/info': 200, 'POST /query': 200, 'POST /ingest': 201 },
  admin: { 'GET /system/info': 200, 'POST /query': 200, 'POST /ingest': 201 },
};
const SCOPES = Object.keys(EXPECTED) as Scope[];

const RATE_HEADERS = [
  'ratelimit-policy',
  'ratelimit',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

function send(
  server: RestServer,
  route: Route,
  bearer: string | undefined,
  headers?: Record<string, string>,
) {
  const [method, path] = route.split(' ') as [string, string];
  return call(server.url, method, path, { bearer, json: BODIES[route], headers });
}

describe('scope matrix: every key scope against every protected route', () => {
  const clock = movableClock();
  let server: RestServer;
  let token: string;
  const keys = {} as Record<Scope, { key_id: string; key: string }>;

  beforeAll(async () => {
    server = await startServer({ clock: clock.now });
    await signUp(server.url, 'root');
    server.makeAdmin('root');
    token = await signIn(server.url, 'root');
    for (const scope of SCOPES) {
      keys[scope] = await generateKey(server.url, token, { name: scope, scope, rate_limit: 10_000 });
    }
  });
  afterAll(() => server.close());

  const cases = SCOPES.flatMap((scope) =>
    ROUTES.map((route) => ({ scope, route, status: EXPECTED[scope][route] })),
  );

  it.each(cases)('$scope on $route answers $status', async ({ scope, route, status }) => {
    const before = server.eventCount();
    const res = await send(server, route, keys[scope].key);
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    if (status === 403) {
      expect(errorShapeProblem(res.body)).toBeNull();
      expect(res.body).toMatchObject({ error: { code: 'INSUFFICIENT_SCOPE', details: { scope } } });
    } else {
      for (const name of RATE_HEADERS) expect(res.headers.get(name), name).toBeTruthy();
    }
    // Allowed or refused, the call is a use of the key, recorded against this endpoint.
    expect(server.eventCount()).toBeGreaterThan(before);
  });

  it('gives /api-keys/verify the same verdict for each scope and endpoint', async () => {
    for (const { scope, route, status } of cases) {
      const endpoint = route.split(' ')[1];
      const res = await call<{ valid: boolean; code: string }>(server.url, 'POST', '/api-keys/verify', {
        json: { key: keys[scope].key, endpoint },
      });
      expect(res.status).toBe(200);
      expect({ scope, route, code: res.body.code }).toEqual({
        scope,
        route,
        code: status === 403 ? 'INSUFFICIENT_SCOPE' : 'VALID',
      });
    }
  });

  it('records each scope’s calls in its key’s usage, allowed and refused', async () => {
    server.eventCount(); // writes buffered uses
    const usage = await call<{ endpoints: { endpoint: string; successes: number; failures: number }[] }>(
      server.url,
      'GET',
      `/api-keys/${keys.read_only.key_id}/usage`,
      { bearer: token },
    );
    const byEndpoint = Object.fromEntries(usage.body.endpoints.map((e) => [e.endpoint, e]));
    // Each route once in the matrix and once through /api-keys/verify.
    expect(byEndpoint['/system/info']).toMatchObject({ successes: 2, failures: 0 });
    expect(byEndpoint['/query']).toMatchObject({ successes: 0, failures: 2 });
    expect(byEndpoint['/ingest']).toMatchObject({ successes: 0, failures: 2 });
  });

  describe.each(ROUTES)('credentials on %s', (route) => {
    const refusals: { name: string; bearer: () => Promise<string | undefined>; reason?: string }[] = [
      { name: 'no Authorization header', bearer: async () => undefined },
      { name: 'a malformed key', bearer: async () => 'rag_not-a-key', reason: 'MALFORMED' },
      {
        name: 'a well-formed key that was never issued',
        bearer: async () => `rag_${'A'.repeat(43)}${'B'.repeat(6)}`,
      },
      {
        name: 'an access token instead of a key',
        bearer: () => signIn(server.url, 'root'),
        reason: 'MALFORMED',
      },
      {
        name: 'a revoked key',
        reason: 'REVOKED',
        bearer: async () => {
          const t = await signIn(server.url, 'root');
          const k = await generateKey(server.url, t, { name: 'revoked', scope: 'admin' });
          await call(server.url, 'DELETE', `/api-keys/${k.key_id}`, { bearer: t });
          return k.key;
        },
      },
      {
        name: 'an expired key',
        reason: 'EXPIRED',
        bearer: async () => {
          const t = await signIn(server.url, 'root');
          const k = await generateKey(server.url, t, {
            name: 'expiring',
            scope: 'admin',
            expires_in_days: 1,
          });
          clock.advance(2 * 86_400_000);
          return k.key;
        },
      },
    ];

    it.each(refusals)('answers 401 INVALID_API_KEY to $name', async ({ bearer, reason }) => {
      const res = await send(server, route, await bearer());
      expect(res.status, res.text).toBe(401);
      expect(errorShapeProblem(res.body)).toBeNull();
      expect(res.body).toMatchObject({ error: { code: 'INVALID_API_KEY' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="keyledger"');
      if (reason) expect(res.body).toMatchObject({ error: { details: { reason } } });
    });

    it('answers 429 with Retry-After and the rate-limit headers once the limit is spent', async () => {
      // Sessions expire as the test clock moves, so each case signs in afresh.
      const t = await signIn(server.url, 'root');
      const k = await generateKey(server.url, t, { name: 'limited', scope: 'admin', rate_limit: 2 });
      expect((await send(server, route, k.key)).status).toBeLessThan(300);
      const second = await send(server, route, k.key);
      expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
      const refused = await send(server, route, k.key);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(refused.body).toMatchObject({ error: { details: { retry_after: retryAfter } } });
      for (const name of RATE_HEADERS) expect(refused.headers.get(name), name).toBeTruthy();
      expect(refused.headers.get('ratelimit-policy')).toBe('2;w=3600');
      // Once the window has moved on, the key works again.
      clock.advance(retryAfter * 1000);
      expect((await send(server, route, k.key)).status).toBeLessThan(300);
    });
  });

  it('refuses an API key on the management routes, which take access tokens', async () => {
    const res = await call(server.url, 'GET', '/api-keys/list', { bearer: keys.admin.key });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });
});
