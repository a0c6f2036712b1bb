import { configFromEnv, createApp, createLogger, type App } from '@keyledger/server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** A clock tests can move. */
export function testClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => void (now += ms),
    set: (ms: number) => void (now = ms),
  };
}

export interface TestServer {
  app: App;
  url: string;
  dir: string;
  databasePath: string;
  /** Everything the server logged, as text. */
  logs(): string;
  close(): Promise<void>;
}

/** A real Keyledger server on a free loopback port with a temporary database. */
export async function startTestServer(
  options: { clock?: () => number; env?: Record<string, string>; failedVerificationsPerMinute?: number } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-test-'));
  const databasePath = join(dir, 'keyledger.db');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = configFromEnv({
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'info',
    // Every test user signs up from 127.0.0.1; the sign-up limit has its own test.
    KEYLEDGER_SIGNUPS_PER_HOUR: '100000',
    ...options.env,
  });
  const app = await createApp(config, {
    clock: options.clock,
    logger: createLogger('info', sink),
    failedVerifications: { limit: options.failedVerificationsPerMinute ?? 10_000, windowSeconds: 60 },
  });
  const url = await app.listen(0, '127.0.0.1');
  return {
    app,
    url,
    dir,
    databasePath,
    logs: () => lines.join(''),
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small JSON client for the REST API, as a non-SDK user would call it. */
export function restClient(baseUrl: string) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<JsonResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
  };
  return {
    call,
    async signUp(username: string, password: string): Promise<string> {
      const reg = await call('POST', '/auth/register', { body: { username, password } });
      if (reg.status !== 201) throw new Error(`register failed: ${JSON.stringify(reg.body)}`);
      const tok = await call<{ access_token: string }>('POST', '/auth/token', {
        body: { username, password },
      });
      if (tok.status !== 200) throw new Error(`token failed: ${JSON.stringify(tok.body)}`);
      return tok.body.access_token;
    },
  };
}
