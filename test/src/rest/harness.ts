import { configFromEnv, createApp, type App } from '@keyledger/server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PEPPER = 'rest-tests-pepper-0123456789abcdefghijklmnop';
export const PASSWORD = 'correct horse battery staple';

/** A clock the tests move; the server reads time only through it. */
export function movableClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

export interface RestServer {
  app: App;
  url: string;
  /** Rows in the event log, with buffered key uses written first. */
  eventCount(): number;
  /** Makes an existing account an administrator, as the CLI does. */
  makeAdmin(username: string): void;
  close(): Promise<void>;
}

/** A real Keyledger server, in this process, on a free loopback port with its own database. */
export async function startServer(
  options: { env?: Record<string, string>; clock?: () => number } = {},
): Promise<RestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-rest-'));
  const config = configFromEnv({
    DATABASE_PATH: join(dir, 'keyledger.db'),
    KEYLEDGER_PEPPER: PEPPER,
    LOG_LEVEL: 'silent',
    // Every test user signs up from 127.0.0.1; the sign-up limit has its own test.
    KEYLEDGER_SIGNUPS_PER_HOUR: '100000',
    ...options.env,
  });
  const app = await createApp(config, {
    clock: options.clock,
    // Tests probe with many unknown keys from one address; the per-address limit has its own tests.
    failedVerifications: { limit: 100_000, windowSeconds: 60 },
  });
  const url = await app.listen(0, '127.0.0.1');
  const count = app.services.store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events');
  return {
    app,
    url,
    eventCount() {
      app.services.store.flush();
      return count.get()?.n ?? 0;
    },
    makeAdmin(username) {
      app.services.accounts.setRole(
        username,
        'admin',
        { requestId: 'test', ip: null, userAgent: null, idempotencyKey: null },
        null,
      );
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer …`: an access token or an API key. */
  bearer?: string;
  /** JSON-encoded unless `raw` is given. */
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** One HTTP call as any client would make it; the body is parsed when it is JSON. */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.raw !== undefined) body = options.raw;
  Object.assign(headers, options.headers);
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export interface Account {
  username: string;
  token: string;
}

/** Signs up and signs in over REST. */
export async function signUp(baseUrl: string, username: string): Promise<Account> {
  const reg = await call(baseUrl, 'POST', '/auth/register', { json: { username, password: PASSWORD } });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${reg.text}`);
  return { username, token: await signIn(baseUrl, username) };
}

export async function signIn(baseUrl: string, username: string): Promise<string> {
  const tok = await call<{ access_token: string }>(baseUrl, 'POST', '/auth/token', {
    json: { username, password: PASSWORD },
  });
  if (tok.status !== 200) throw new Error(`token ${username}: ${tok.status} ${tok.text}`);
  return tok.body.access_token;
}

export interface CreatedKey {
  key_id: string;
  key: string;
  scope: string;
}

export async function generateKey(
  baseUrl: string,
  token: string,
  body: Record<string, unknown>,
): Promise<CreatedKey> {
  const res = await call<CreatedKey>(baseUrl, 'POST', '/api-keys/generate', { bearer: token, json: body });
  if (res.status !== 201) throw new Error(`generate: ${res.status} ${res.text}`);
  return res.body;
}

/** The one REST error shape. Returns a description of what is wrong, or null. */
export function errorShapeProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'the body is not a JSON object';
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys are ${keys.join(', ')}`;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return 'error is not an object';
  const e = error as Record<string, unknown>;
  if (typeof e.code !== 'string' || !/^[A-Z_]+$/.test(e.code)) return 'error.code is not a code';
  if (typeof e.message !== 'string' || e.message.length === 0) return 'error.message is missing';
  const extra = Object.keys(e).filter((k) => !['code', 'message', 'details'].includes(k));
  if (extra.length > 0) return `unexpected error fields ${extra.join(', ')}`;
  return null;
}
