import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  createKeyledger,
  RateLimitError,
  ServerError,
  ValidationError,
  type KeyledgerClient,
} from '@keyledger/sdk';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from './fault-proxy.js';
import { PASSWORD, startLiveServer, uniqueUsername, type LiveServer } from './live-server.js';

let server: LiveServer;
let token: string;
let direct: KeyledgerClient;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  server = await startLiveServer();
  const anonymous = createKeyledger({ baseUrl: server.url });
  const username = uniqueUsername('retry');
  await anonymous.auth.register({ username, password: PASSWORD });
  token = (await anonymous.auth.signIn({ username, password: PASSWORD })).access_token;
  direct = anonymous.withAccessToken(token);
});
afterAll(() => server.close());
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** A client that reaches the real server through a proxy injecting the faults `plan` chooses. */
async function throughProxy(plan: (req: ProxiedRequest) => Fault, timeoutMs = 5_000) {
  proxy = await startFaultProxy(server.url, plan);
  return { client: createKeyledger({ baseUrl: proxy.url, accessToken: token, timeoutMs }), proxy };
}

const forward: Fault = { kind: 'forward' };
const json503: Fault = {
  kind: 'answer',
  status: 503,
  headers: { 'content-type': 'application/json' },
  body: '{"error":{"message":"upstream busy","code":-32603,"data":{"httpStatus":503}}}',
};
const html502: Fault = {
  kind: 'answer',
  status: 502,
  headers: { 'content-type': 'text/html' },
  body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
};

describe('retries through a fault-injecting proxy, against a real server', () => {
  it('gets through after a 503 twice', async () => {
    const { client, proxy } = await throughProxy((req) => (req.attempt < 2 ? json503 : forward));
    const list = await client.keys.list();
    expect(Array.isArray(list.keys)).toBe(true);
    expect(proxy.requests.map((r) => r.upstreamStatus ?? 503)).toEqual([503, 503, 200]);
  });

  it('gets through after a dropped connection', async () => {
    const { client, proxy } = await throughProxy((req) => (req.attempt === 0 ? { kind: 'drop' } : forward));
    expect((await client.auth.me()).user_id).toBeTruthy();
    expect(proxy.requests).toHaveLength(2);
  });

  it('waits about the second Retry-After asks for after a 429', async () => {
    const rateLimited: Fault = {
      kind: 'answer',
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
      body: '{"error":{"message":"slow down","code":-32029,"data":{"httpStatus":429,"keyledgerCode":"RATE_LIMITED"}}}',
    };
    const { client, proxy } = await throughProxy((req) => (req.attempt === 0 ? rateLimited : forward));
    const started = performance.now();
    await client.keys.scopes();
    const elapsed = performance.now() - started;
    expect(proxy.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('does not retry a 400', async () => {
    const { client, proxy } = await throughProxy(() => forward);
    const error = await client.keys.generate({ name: 'x'.repeat(101) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toBe('name');
    expect(proxy.requests).toHaveLength(1);
  });

  it('creates exactly one key when a generate’s response is lost and the call is retried', async () => {
    const before = (await direct.keys.list({ limit: 200 })).keys.length;
    const { client, proxy } = await throughProxy((req) =>
      req.path.endsWith('keys.generate') && req.attempt === 0 ? { kind: 'lose-response' } : forward,
    );
    const created = await client.keys.generate({ name: 'lost response' });
    const after = (await direct.keys.list({ limit: 200 })).keys;
    expect(after).toHaveLength(before + 1);
    expect(after.map((k) => k.key_id)).toContain(created.key_id);
    // Both attempts reached the server, with one idempotency key; the second replayed the first's result.
    expect(proxy.requests.map((r) => r.upstreamStatus)).toEqual([200, 200]);
    const keys = proxy.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect((await direct.verify.key({ key: created.key })).valid).toBe(true);
  });

  it('creates exactly one key when a generate’s attempt times out after the server acted', async () => {
    const before = (await direct.keys.list({ limit: 200 })).keys.length;
    const { client } = await throughProxy(
      (req) =>
        req.path.endsWith('keys.generate') && req.attempt === 0
          ? { kind: 'delay-response', ms: 1_500 }
          : forward,
      500,
    );
    const created = await client.keys.generate({ name: 'slow response' });
    const after = (await direct.keys.list({ limit: 200 })).keys;
    expect(after).toHaveLength(before + 1);
    expect(after.map((k) => k.key_id)).toContain(created.key_id);
  });

  it('turns an HTML 502 from the proxy into a ServerError with status 502, once retries run out', async () => {
    const { client, proxy } = await throughProxy(() => html502);
    const error = await client.keys.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(502);
    expect(proxy.requests).toHaveLength(3);
  });

  it('gives up on a 429 asking for more than 60 seconds, with retryAfterMs on the error', async () => {
    const { client, proxy } = await throughProxy(() => ({
      kind: 'answer',
      status: 429,
      headers: { 'content-type': 'text/plain', 'retry-after': '3600' },
      body: 'Too Many Requests',
    }));
    const error = await client.keys.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect(proxy.requests).toHaveLength(1);
  });

  it('does not send a verification twice once it may have reached the server', async () => {
    const { key } = await direct.keys.generate({ name: 'verify once' });
    const { client, proxy } = await throughProxy((req) =>
      req.attempt === 0 ? { kind: 'lose-response' } : forward,
    );
    await expect(client.verify.key({ key })).rejects.toBeInstanceOf(ConnectionError);
    expect(proxy.requests).toHaveLength(1);
  });

  it('stops retrying when the caller aborts', async () => {
    const { client, proxy } = await throughProxy(() => ({ ...json503, headers: { 'retry-after': '30' } }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    await expect(client.keys.list({}, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(proxy.requests).toHaveLength(1);
  });
});
