import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKey } from '@keyledger/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { VerifyKeyResult } from '../client/api-types.js';
import { sendJson, startLocalServer } from '../test-support/local-server.js';
import { apiKeyOf, requireApiKey, type RequireApiKeyOptions } from './require-api-key.js';

// A stand-in for Keyledger's verify.key over tRPC, whose answers each test scripts: it lets a test hold
// a verification in flight, or change the verdict between two requests.
interface VerifyCall {
  input: { key: string; scope?: string; endpoint?: string };
  headers: IncomingMessage['headers'];
  answer(result: VerifyKeyResult, headers?: Record<string, string>): void;
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function scriptedKeyledger(respond: (call: VerifyCall) => void) {
  const calls: VerifyCall[] = [];
  const server = await startLocalServer((req, res, { body }) => {
    const call: VerifyCall = {
      input: JSON.parse(body) as VerifyCall['input'],
      headers: req.headers,
      answer: (result, headers = {}) => sendJson(res, 200, { result: { data: result } }, headers),
    };
    calls.push(call);
    respond(call);
  });
  servers.push(server);
  return { url: server.url, calls };
}

const KEY = generateKey('rag').plaintext;
const valid = (remaining = 99, limit = 100): VerifyKeyResult => ({
  valid: true,
  code: 'VALID',
  key_id: 'key_1',
  user_id: 'usr_1',
  scope: 'query_only',
  expires_at: null,
  ratelimit: { limit, remaining, reset: Date.now() + 36_000, window: 3600 },
});
const refused = (code: VerifyKeyResult['code']): VerifyKeyResult => ({
  valid: false,
  code,
  key_id: code === 'MALFORMED' || code === 'NOT_FOUND' ? null : 'key_1',
  user_id: null,
  scope: null,
  expires_at: null,
  ratelimit:
    code === 'RATE_LIMITED' ? { limit: 100, remaining: 0, reset: Date.now() + 36_000, window: 3600 } : null,
});

/** A protected node:http app; answers 200 with the accepted key. */
async function protectedApp(options: RequireApiKeyOptions) {
  const guard = requireApiKey(options);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) =>
    guard(req, res, (error) => {
      if (error) {
        res.statusCode = 500;
        return res.end(String(error));
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ key: apiKeyOf(req) }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (path: string, key?: string) =>
    fetch(url + path, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  return { guard, get };
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string } }).error.code;

describe('requireApiKey (node:http)', () => {
  it('refuses a request without a key with 401 and WWW-Authenticate, asking nobody', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(valid()));
    const app = await protectedApp({ baseUrl: keyledger.url });
    const response = await app.get('/search');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: expect.any(String) as string },
    });
    expect(keyledger.calls).toHaveLength(0);
  });

  it('refuses a key whose checksum fails without asking Keyledger', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(valid()));
    const app = await protectedApp({ baseUrl: keyledger.url });
    const mistyped = KEY.slice(0, 10) + (KEY[10] === 'a' ? 'b' : 'a') + KEY.slice(11);
    const response = await app.get('/search', mistyped);
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toBe('INVALID_API_KEY');
    expect(keyledger.calls).toHaveLength(0);
  });

  it('lets a valid key through with the rate-limit headers, and puts the key on the request', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(valid(41, 50)));
    const app = await protectedApp({ baseUrl: keyledger.url, scope: 'query_only' });
    const response = await app.get('/search?q=1', KEY);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      key: { key_id: 'key_1', user_id: 'usr_1', scope: 'query_only', expires_at: null },
    });
    expect(response.headers.get('x-ratelimit-limit')).toBe('50');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('41');
    expect(response.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
    expect(response.headers.get('ratelimit-policy')).toBe('50;w=3600');
    expect(response.headers.get('ratelimit')).toMatch(/^limit=50, remaining=41, reset=\d+$/);
    expect(keyledger.calls[0]?.input).toEqual({ key: KEY, scope: 'query_only', endpoint: '/search' });
    expect(keyledger.calls[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('records a fixed endpoint name when one is given', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(valid()));
    const app = await protectedApp({ baseUrl: keyledger.url, endpoint: 'search' });
    await app.get('/v1/search', KEY);
    expect(keyledger.calls[0]?.input.endpoint).toBe('search');
  });

  it('answers each verdict with its status and code in the REST error shape', async () => {
    const cases = [
      ['NOT_FOUND', 401, 'INVALID_API_KEY'],
      ['REVOKED', 401, 'INVALID_API_KEY'],
      ['EXPIRED', 401, 'INVALID_API_KEY'],
      ['INSUFFICIENT_SCOPE', 403, 'INSUFFICIENT_SCOPE'],
      ['RATE_LIMITED', 429, 'RATE_LIMITED'],
    ] as const;
    for (const [verdict, status, code] of cases) {
      const keyledger = await scriptedKeyledger((call) =>
        call.answer(refused(verdict), { 'retry-after': '36' }),
      );
      const app = await protectedApp({ baseUrl: keyledger.url });
      const response = await app.get('/search', KEY);
      expect(response.status, verdict).toBe(status);
      const { error } = (await response.json()) as { error: { code: string; details?: { reason?: string } } };
      expect(error.code, verdict).toBe(code);
      if (status === 401) expect(error.details?.reason).toBe(verdict);
      if (status === 429) {
        expect(response.headers.get('retry-after')).toBe('36');
        expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
      }
      if (status === 403) expect(response.headers.get('www-authenticate')).toContain('insufficient_scope');
    }
  });

  it('answers 503 when Keyledger cannot be reached, and reports the failure', async () => {
    const gone = await startLocalServer(() => undefined);
    await gone.close();
    const failures: unknown[] = [];
    const app = await protectedApp({ baseUrl: gone.url, onError: (e) => failures.push(e) });
    const response = await app.get('/search', KEY);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await errorOf(response)).toBe('VERIFICATION_UNAVAILABLE');
    expect(failures).toHaveLength(1);
  });
});

describe('requireApiKey cache', () => {
  it('admits a recently verified key without waiting, and still verifies every request', async () => {
    const held: VerifyCall[] = [];
    const keyledger = await scriptedKeyledger((call) =>
      keyledger.calls.length === 1 ? call.answer(valid()) : held.push(call),
    );
    const app = await protectedApp({ baseUrl: keyledger.url });
    expect((await app.get('/a', KEY)).status).toBe(200);
    // The second verification is held by Keyledger, yet the request is answered.
    const second = await app.get('/b', KEY);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-ratelimit-remaining')).toBe('98');
    await expect.poll(() => keyledger.calls.length).toBe(2);
    expect(keyledger.calls[1]?.input.endpoint).toBe('/b');
    held.forEach((call) => call.answer(valid(98)));
  });

  it('refuses the key once a verification behind the cache says it was revoked', async () => {
    let revoked = false;
    const keyledger = await scriptedKeyledger((call) => call.answer(revoked ? refused('REVOKED') : valid()));
    const app = await protectedApp({ baseUrl: keyledger.url });
    expect((await app.get('/a', KEY)).status).toBe(200);
    revoked = true;
    // Admitted on the cached answer: this is the bounded window a revocation takes to arrive here.
    expect((await app.get('/b', KEY)).status).toBe(200);
    await expect.poll(() => keyledger.calls.length).toBe(2);
    await expect.poll(async () => (await app.get('/c', KEY)).status).toBe(401);
  });

  it('waits for Keyledger again once the cached answer is older than cacheTtlMs', async () => {
    let now = 1_000_000;
    let revoked = false;
    const held: VerifyCall[] = [];
    const keyledger = await scriptedKeyledger((call) => {
      if (keyledger.calls.length === 1) return call.answer(valid());
      if (revoked) return call.answer(refused('REVOKED'));
      held.push(call); // keeps the cache from learning anything new
    });
    const app = await protectedApp({ baseUrl: keyledger.url, cacheTtlMs: 2_000, clock: () => now });
    expect((await app.get('/a', KEY)).status).toBe(200);
    now += 1_999;
    expect((await app.get('/a', KEY)).status).toBe(200);
    revoked = true;
    now += 1;
    expect((await app.get('/a', KEY)).status).toBe(401);
    held.forEach((call) => call.answer(valid()));
  });

  it('never admits more on the cache than the allowance Keyledger last reported', async () => {
    const held: VerifyCall[] = [];
    const keyledger = await scriptedKeyledger((call) =>
      keyledger.calls.length === 1 ? call.answer(valid(2, 3)) : held.push(call),
    );
    const app = await protectedApp({ baseUrl: keyledger.url });
    expect((await app.get('/a', KEY)).status).toBe(200); // verified: 2 left
    expect((await app.get('/a', KEY)).status).toBe(200); // on the cache: 1 left
    const third = await app.get('/a', KEY); // on the cache: 0 left
    expect(third.status).toBe(200);
    expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
    // A fourth must wait for Keyledger's verdict: it is pending until the held calls are answered.
    let fourthDone = false;
    const fourth = app.get('/a', KEY).then((r) => {
      fourthDone = true;
      return r;
    });
    await expect.poll(() => keyledger.calls.length).toBe(4);
    expect(fourthDone).toBe(false);
    held.slice(0, 2).forEach((call, i) => call.answer(valid(1 - i, 3)));
    held[2]?.answer(refused('RATE_LIMITED'), { 'retry-after': '1200' });
    const response = await fourth;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1200');
  });

  it('asks Keyledger before every request with cacheTtlMs: 0', async () => {
    const held: VerifyCall[] = [];
    const keyledger = await scriptedKeyledger((call) =>
      keyledger.calls.length === 1 ? call.answer(valid()) : held.push(call),
    );
    const app = await protectedApp({ baseUrl: keyledger.url, cacheTtlMs: 0 });
    expect((await app.get('/a', KEY)).status).toBe(200);
    let done = false;
    const second = app.get('/a', KEY).then((r) => ((done = true), r));
    await expect.poll(() => keyledger.calls.length).toBe(2);
    expect(done).toBe(false);
    held[0]?.answer(refused('REVOKED'));
    expect((await second).status).toBe(401);
  });

  it('makes the next request wait when a verification behind the cache fails', async () => {
    let calls = 0;
    const keyledger = await startLocalServer((req, res, { socket }) => {
      calls++;
      if (calls === 1) return sendJson(res, 200, { result: { data: valid() } });
      if (calls === 2) return void socket.destroy();
      sendJson(res, 200, { result: { data: refused('REVOKED') } });
    });
    servers.push(keyledger);
    const app = await protectedApp({ baseUrl: keyledger.url });
    expect((await app.get('/a', KEY)).status).toBe(200);
    expect((await app.get('/a', KEY)).status).toBe(200);
    await expect.poll(() => calls).toBe(2);
    await expect.poll(async () => (await app.get('/a', KEY)).status).toBe(401);
  });
});

describe('requireApiKey (fetch-style)', () => {
  it('returns the key and the headers to send for an accepted Request', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(valid(9, 10)));
    const guard = requireApiKey({ baseUrl: keyledger.url, scope: 'query_only' });
    const result = await guard.check(
      new Request('http://service.test/search?q=x', { headers: { authorization: `Bearer ${KEY}` } }),
      { clientIp: '203.0.113.9' },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.key.key_id).toBe('key_1');
    expect(result.headers.get('x-ratelimit-remaining')).toBe('9');
    expect(keyledger.calls[0]?.input.endpoint).toBe('/search');
    expect(keyledger.calls[0]?.headers['x-forwarded-for']).toBe('203.0.113.9');
  });

  it('returns a ready Response for a refused Request', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(refused('INSUFFICIENT_SCOPE')));
    const guard = requireApiKey({ baseUrl: keyledger.url, scope: 'full_access' });
    const result = await guard.check(
      new Request('http://service.test/', { headers: { authorization: `Bearer ${KEY}` } }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(403);
    expect(result.response.status).toBe(403);
    expect(result.response.headers.get('content-type')).toContain('application/json');
    expect(await result.response.json()).toEqual({
      error: { code: 'INSUFFICIENT_SCOPE', message: result.error.message },
    });
  });

  it('treats any scheme other than Bearer as no key', async () => {
    const keyledger = await scriptedKeyledger((call) => call.answer(valid()));
    const guard = requireApiKey({ baseUrl: keyledger.url });
    const result = await guard.check(
      new Request('http://service.test/', { headers: { authorization: `Basic ${KEY}` } }),
    );
    expect(result.ok ? 200 : result.status).toBe(401);
    expect(keyledger.calls).toHaveLength(0);
  });
});
