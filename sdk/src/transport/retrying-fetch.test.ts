import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, RateLimitError, ServerError, TimeoutError } from '../errors/keyledger-error.js';
import {
  dropConnection,
  sendJson,
  startLocalServer,
  type LocalServer,
} from '../test-support/local-server.js';
import { retryingFetch, type RetryEvent } from './retrying-fetch.js';

const servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Parameters<typeof startLocalServer>[0]) {
  const server = await startLocalServer(handler);
  servers.push(server);
  return server;
}

// Zero jitter keeps these tests fast; the backoff curve itself is tested in retry-timing.test.ts.
const fast = { maxRetries: 2, timeoutMs: 2_000, random: () => 0 };

describe('retryingFetch', () => {
  it('retries a 503 twice and returns the success that follows', async () => {
    const server = await serve((_req, res, { index }) =>
      index < 2 ? sendJson(res, 503, { error: 'busy' }) : sendJson(res, 200, { result: { data: 'ok' } }),
    );
    const response = await retryingFetch(fast)(`${server.url}/trpc/keys.list`, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: { data: 'ok' } });
    expect(server.requests).toHaveLength(3);
  });

  it('retries each retryable status: 408, 429, 500, 502, 503, 504', async () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const server = await serve((_req, res, { index }) =>
        index === 0 ? sendJson(res, status, {}) : sendJson(res, 200, { result: { data: status } }),
      );
      const response = await retryingFetch(fast)(server.url, { method: 'GET' });
      expect(response.status, `after ${status}`).toBe(200);
      expect(server.requests).toHaveLength(2);
    }
  });

  it('never retries another 4xx', async () => {
    for (const status of [400, 401, 403, 404, 409, 413, 422]) {
      const server = await serve((_req, res) => sendJson(res, status, { error: { code: 'X' } }));
      const response = await retryingFetch(fast)(server.url, { method: 'GET' });
      expect(response.status).toBe(status);
      expect(server.requests, `status ${status}`).toHaveLength(1);
    }
  });

  it('does not repeat a POST that carries no idempotency key', async () => {
    const server = await serve((_req, res) => sendJson(res, 503, {}));
    const response = await retryingFetch(fast)(server.url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(503);
    expect(server.requests).toHaveLength(1);
  });

  it('repeats a POST with its idempotency key unchanged on every attempt', async () => {
    const server = await serve((_req, res, { index }) =>
      index < 2 ? sendJson(res, 502, {}) : sendJson(res, 200, { result: { data: 1 } }),
    );
    const response = await retryingFetch(fast)(server.url, {
      method: 'POST',
      body: '{"name":"ci"}',
      headers: { 'idempotency-key': 'call-1', 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(server.requests.map((r) => r.headers['idempotency-key'])).toEqual(['call-1', 'call-1', 'call-1']);
    expect(server.requests.map((r) => r.body)).toEqual(Array(3).fill('{"name":"ci"}'));
  });

  it('retries a dropped connection', async () => {
    const server = await serve((_req, res, { index, socket }) =>
      index === 0 ? dropConnection(socket) : sendJson(res, 200, { result: { data: 'ok' } }),
    );
    const response = await retryingFetch(fast)(server.url, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a connection dropped half-way through the answer', async () => {
    const server = await serve((_req, res, { index, socket }) => {
      if (index > 0) return sendJson(res, 200, { result: { data: 'ok' } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"result":');
      setTimeout(() => dropConnection(socket), 20);
    });
    const response = await retryingFetch(fast)(server.url, { method: 'GET' });
    expect(await response.json()).toEqual({ result: { data: 'ok' } });
    expect(server.requests).toHaveLength(2);
  });

  it('throws ConnectionError when the server cannot be reached on any attempt', async () => {
    const server = await serve(() => undefined);
    await server.close();
    const error = await retryingFetch(fast)(server.url, { method: 'GET' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ status: null, code: 'CONNECTION_ERROR', requestId: null });
  });

  it('sends a POST without idempotency key again when the connection was refused, as nothing was sent', async () => {
    const server = await serve(() => undefined);
    await server.close();
    const attempts: RetryEvent[] = [];
    const error = await retryingFetch({ ...fast, onRetry: (e) => attempts.push(e) })(server.url, {
      method: 'POST',
      body: '{}',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(attempts).toHaveLength(2);
  });

  it('does not repeat a POST without idempotency key whose connection dropped after sending', async () => {
    const server = await serve((_req, _res, { socket }) => dropConnection(socket));
    const error = await retryingFetch(fast)(server.url, { method: 'POST', body: '{}' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(server.requests).toHaveLength(1);
  });

  it('gives each attempt its own timeout, and retries one that runs out', async () => {
    const server = await serve((_req, res, { index }) => {
      if (index === 0) return; // never answers
      sendJson(res, 200, { result: { data: 'second' } });
    });
    const response = await retryingFetch({ ...fast, timeoutMs: 200 })(server.url, { method: 'GET' });
    expect(await response.json()).toEqual({ result: { data: 'second' } });
    expect(server.requests).toHaveLength(2);
  });

  it('throws TimeoutError when every attempt runs out of time', async () => {
    const server = await serve(() => undefined);
    const error = await retryingFetch({ ...fast, maxRetries: 1, timeoutMs: 100 })(server.url, {
      method: 'GET',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it('waits as long as Retry-After or retry-after-ms says', async () => {
    const server = await serve((_req, res, { index }) => {
      if (index === 0) return sendJson(res, 429, {}, { 'retry-after': '0' });
      if (index === 1) return sendJson(res, 503, {}, { 'retry-after-ms': '30' });
      sendJson(res, 200, { result: { data: 'ok' } });
    });
    const retries: RetryEvent[] = [];
    await retryingFetch({ ...fast, random: () => 0.99, onRetry: (e) => retries.push(e) })(server.url, {
      method: 'GET',
    });
    expect(retries.map((r) => [r.status, r.delayMs])).toEqual([
      [429, 0],
      [503, 30],
    ]);
  });

  it('reads the wait from the tRPC error body when no header gives it', async () => {
    const server = await serve((_req, res, { index }) =>
      index === 0
        ? sendJson(res, 429, {
            error: { message: 'slow down', code: -32029, data: { retryAfterSeconds: 0.02 } },
          })
        : sendJson(res, 200, { result: { data: 'ok' } }),
    );
    const retries: RetryEvent[] = [];
    await retryingFetch({ ...fast, onRetry: (e) => retries.push(e) })(server.url, { method: 'GET' });
    expect(retries.map((r) => r.delayMs)).toEqual([20]);
  });

  it('does not wait when the server asks for more than 60 seconds', async () => {
    const server = await serve((_req, res) => sendJson(res, 429, { error: {} }, { 'retry-after': '3600' }));
    const response = await retryingFetch(fast)(server.url, { method: 'GET' });
    expect(response.status).toBe(429);
    expect(server.requests).toHaveLength(1);
  });

  it('turns a non-JSON error page into a typed error with its status and request id', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'x-request-id': 'req_proxy' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    const error = await retryingFetch(fast)(server.url, { method: 'GET' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 502, code: 'BAD_GATEWAY', requestId: 'req_proxy' });
    expect(server.requests).toHaveLength(3);
  });

  it('keeps the Retry-After of a non-JSON 429 on the error', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '120' });
      res.end('Too Many Requests');
    });
    const error = await retryingFetch(fast)(server.url, { method: 'GET' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(120_000);
  });

  it('retries 409 IDEMPOTENCY_IN_PROGRESS, the earlier attempt of the same call still running', async () => {
    const server = await serve((_req, res, { index }) =>
      index === 0
        ? sendJson(res, 409, { error: { data: { keyledgerCode: 'IDEMPOTENCY_IN_PROGRESS' } } })
        : sendJson(res, 200, { result: { data: 'stored result' } }),
    );
    const response = await retryingFetch(fast)(server.url, {
      method: 'POST',
      headers: { 'idempotency-key': 'k' },
    });
    expect(await response.json()).toEqual({ result: { data: 'stored result' } });
  });

  it('cancels the whole call, waits included, when the caller aborts', async () => {
    const server = await serve((_req, res) => sendJson(res, 503, {}, { 'retry-after': '30' }));
    const controller = new AbortController();
    const call = retryingFetch({ ...fast, onRetry: () => controller.abort(new Error('user gave up')) })(
      server.url,
      {
        method: 'GET',
        signal: controller.signal,
      },
    );
    await expect(call).rejects.toThrow('user gave up');
    expect(server.requests).toHaveLength(1);
  });

  it('cancels an attempt in flight when the caller aborts', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    const call = retryingFetch(fast)(server.url, { method: 'GET', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(1);
  });
});
