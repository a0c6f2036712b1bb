/**
 * Fuzzing with fast-check: random whole requests (method, path, parameters, query, headers, credentials,
 * body) against every REST route and every tRPC procedure, and random strings against the key parser.
 * The structured bad-input cases per route live in test/src/rest/bad-input.test.ts; this explores the
 * space between them. `npm run test:long` runs at least 10,000 cases per property.
 */
import { appRouter, generateKey, isWellFormedKey, restRoutes, type RestRoute } from '@keyledger/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { LONG } from '../reliability/support/child-server.js';
import { databaseFiles, findSecrets } from '../reliability/support/database-checks.js';
import { recordingClient } from './support/http.js';

const HTTP_RUNS = LONG ? 10_000 : 300;
const TRPC_RUNS = LONG ? 10_000 : 200;
const PARSER_RUNS = LONG ? 200_000 : 5_000;
const VERIFY_RUNS = LONG ? 10_000 : 200;
const TIMEOUT = LONG ? 1_800_000 : 120_000;

const SYSTEM = { requestId: 'fuzz', ip: null, userAgent: null, idempotencyKey: null };
const STACK_TRACE = /\bat [\w.<>]+ \(|\.(ts|js):\d+:\d+|node_modules|SqliteError|"stack"/;
const PRINTABLE = /^[\x20-\x7e]{0,60}$/;

type Json = Record<string, unknown>;

interface Fixtures {
  /** Access tokens by label; a token signed out by a fuzz case is replaced. */
  tokens: Record<'alice' | 'bob' | 'root', string>;
  /** API keys used as credentials only, never as targets, so no case revokes them. */
  apiKeys: string[];
  /** Key ids the cases aim at: alice's, bob's, and one that does not exist. */
  targets: string[];
}

/** Events the answer may have caused, by its status and error code. Rejected requests append nothing. */
function allowedEvents(status: number, code: string | undefined): Set<string> | 'any' {
  if (status < 400) return 'any';
  // A failed sign-in is audited; a refused knowledge API call records the use of the key it named.
  if (code === 'INVALID_CREDENTIALS') return new Set(['user.sign_in_failed']);
  if (code === 'INVALID_API_KEY' || code === 'INSUFFICIENT_SCOPE' || code === 'RATE_LIMITED')
    return new Set(['key.used']);
  return new Set();
}

const printable = fc.stringMatching(PRINTABLE);
const weirdText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    '%00',
    "' OR 1=1 --",
    '<script>',
    '${7*7}',
    '🔑'.repeat(30),
  ),
);

describe('fuzzing every route and the key parser', () => {
  let server: TestServer;
  let fx: Fixtures;
  const secrets = new Set<string>(['fuzz-alice-passphrase', 'fuzz-bob-passphrase', 'fuzz-root-passphrase']);
  const errorBodies: string[] = [];
  let eventCount: () => number;
  let newEventTypes: (after: number) => string[];

  beforeAll(async () => {
    server = await startTestServer({ failedVerificationsPerMinute: 10_000_000 });
    const { accounts, keys, store } = server.app.services;
    const users: Record<string, { user_id: string; username: string; role: 'user' | 'admin' }> = {};
    for (const [name, role] of [
      ['alice', 'user'],
      ['bob', 'user'],
      ['root', 'admin'],
    ] as const) {
      const u = await accounts.createUser(
        { username: name, password: `fuzz-${name}-passphrase` },
        role,
        SYSTEM,
        null,
      );
      users[name] = { user_id: u.user_id, username: name, role };
    }
    const issue = (name: 'alice' | 'bob' | 'root') => {
      const token = server.app.services.sessions.issue(users[name]?.user_id as string, 86_400).token;
      secrets.add(token);
      return token;
    };
    const key = (name: 'alice' | 'bob', scope: 'full_access' | 'read_only') => {
      const k = keys.generate(
        users[name] as { user_id: string; username: string; role: 'user' },
        { name: `fuzz ${scope}`, description: null, scope, expires_in_days: null, rate_limit: 10_000 },
        SYSTEM,
      );
      secrets.add(k.key);
      return k;
    };
    fx = {
      tokens: { alice: issue('alice'), bob: issue('bob'), root: issue('root') },
      apiKeys: [key('alice', 'full_access').key, key('bob', 'read_only').key],
      targets: [
        key('alice', 'full_access').key_id,
        key('bob', 'full_access').key_id,
        'key_00000000000000000000000000000000',
      ],
    };
    // Replaces a token the moment a case signs it out, so the rest keep their credentials.
    const reissue = (token: string) => {
      for (const name of ['alice', 'bob', 'root'] as const)
        if (fx.tokens[name] === token) fx.tokens[name] = issue(name);
    };
    (fx as Fixtures & { reissue: typeof reissue }).reissue = reissue;
    const count = store.db.prepare('SELECT max(position) FROM events').pluck();
    eventCount = () => {
      store.flush();
      return (count.get() as number | null) ?? 0;
    };
    const types = store.db.prepare('SELECT type FROM events WHERE position > ?').pluck();
    newEventTypes = (after) => types.all(after) as string[];
  });

  afterAll(async () => {
    if (!server) return;
    server.app.services.store.flush();
    const found = findSecrets(secrets, databaseFiles(server.databasePath), {
      log: server.logs(),
      ...Object.fromEntries(errorBodies.map((b, i) => [`error answer ${i}`, b])),
    });
    await server.close();
    expect(found).toEqual([]);
  });

  const credential = () =>
    fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .constantFrom<'alice' | 'bob' | 'root'>('alice', 'bob', 'root')
          .map((n) => () => fx.tokens[n]),
      },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 1 }).map((i) => () => fx.apiKeys[i] as string) },
      { weight: 1, arbitrary: fc.constant(() => null) },
      { weight: 1, arbitrary: printable.map((s) => () => s) },
    );

  const headers = fc.record(
    {
      'content-type': fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'application/x-www-form-urlencoded',
            'text/plain',
            'application/json; charset=utf-16',
            'application/problem+json',
            'multipart/form-data; boundary=x',
            '',
          ),
        },
        { weight: 1, arbitrary: printable },
      ),
      'idempotency-key': fc.oneof(printable, fc.constant('x'.repeat(300))),
      'x-request-id': printable,
      'x-forwarded-for': printable,
      'user-agent': printable,
      cookie: printable.map((v) => `keyledger_session=${v}`),
      accept: fc.constantFrom('application/json', '*/*', 'text/html'),
    },
    { requiredKeys: [] },
  );

  /** A body near the route's example: a field changed, added or removed; or something else entirely. */
  const bodyFor = (route: RestRoute | null) => {
    const example = (route?.examples?.body ?? {}) as Json;
    const fields = Object.keys(example);
    const near = fc
      .record({
        field:
          fields.length > 0
            ? fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 }))
            : fc.string({ maxLength: 12 }),
        value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)),
      })
      .map(({ field, value }) => {
        const body: Json = { ...example };
        if (value === undefined) delete body[field];
        else body[field] = value;
        return JSON.stringify(body);
      });
    return fc.oneof(
      { weight: 4, arbitrary: near },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: weirdText },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  };

  const paramFor = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => () => fx.targets[i] as string) },
    { weight: 2, arbitrary: weirdText.map((s) => () => encodeURIComponent(s)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%E0%A4%A', '..%2F..%2Fpackage.json', '%2e%2e', '%00', 'swagger-ui.css')
        .map((s) => () => s),
    },
  );

  const queryFor = (route: RestRoute | null) => {
    const known = Object.keys(route?.query?.shape ?? {});
    const name =
      known.length > 0
        ? fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 10 }))
        : fc.string({ maxLength: 10 });
    return fc.option(
      fc.array(
        fc.tuple(
          name,
          fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.integer().map(String),
            fc.constantFrom('true', 'false', '200', '201', '-1'),
          ),
        ),
        {
          maxLength: 3,
        },
      ),
      { nil: undefined },
    );
  };

  const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

  const restCase = fc
    .oneof(
      { weight: 9, arbitrary: fc.constantFrom(...restRoutes) },
      { weight: 1, arbitrary: fc.constant(null) },
    )
    .chain((route) =>
      fc.record({
        route: fc.constant(route),
        method: route
          ? fc.oneof(
              { weight: 5, arbitrary: fc.constant(route.method as string) },
              { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
            )
          : fc.constantFrom(...METHODS),
        randomPath: fc
          .array(weirdText.map(encodeURIComponent), { minLength: 1, maxLength: 4 })
          .map((s) => `/${s.join('/')}`),
        param: paramFor,
        query: queryFor(route),
        headers,
        credential: credential(),
        body: bodyFor(route),
      }),
    );

  type Answer = { status: number; text: string; headers: Headers; code: string | undefined };

  async function send(
    method: string,
    path: string,
    hdrs: Record<string, string>,
    body: string | undefined,
  ): Promise<Answer> {
    const res = await fetch(server.url + path, {
      method,
      headers: hdrs,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: unknown; data?: { keyledgerCode?: string } } };
      code =
        parsed.error?.data?.keyledgerCode ??
        (typeof parsed.error?.code === 'string' ? parsed.error.code : undefined);
    } catch {
      code = undefined;
    }
    return { status: res.status, text, headers: res.headers, code };
  }

  /** What must hold for every answer, whatever was asked. */
  function checkAnswer(where: string, method: string, res: Answer, before: number, shape: 'rest' | 'trpc') {
    expect(res.status, where).toBeLessThan(500);
    expect(res.headers.get('x-request-id'), where).toBeTruthy();
    if (res.status >= 400) {
      errorBodies.push(res.text);
      expect(res.text, where).not.toMatch(STACK_TRACE);
      if (method !== 'HEAD') {
        const body = JSON.parse(res.text) as { error: Json };
        if (shape === 'rest') {
          expect(Object.keys(body), where).toEqual(['error']);
          expect(typeof body.error.code === 'string' && typeof body.error.message === 'string', where).toBe(
            true,
          );
        } else {
          expect(typeof body.error.message === 'string', where).toBe(true);
          expect(typeof (body.error.data as Json | undefined)?.keyledgerCode === 'string', where).toBe(true);
        }
      }
    }
    const allowed = allowedEvents(res.status, res.code);
    if (allowed !== 'any') {
      const appended = newEventTypes(before);
      expect(
        appended.filter((t) => !allowed.has(t)),
        `${where}: a refused request appended events`,
      ).toEqual([]);
    }
  }

  const afterCase = (signedOut: string | null, res: Answer) => {
    if (signedOut && res.status === 200)
      (fx as Fixtures & { reissue: (t: string) => void }).reissue(signedOut);
  };

  it(
    `answers ${HTTP_RUNS} random requests across every REST route without a 5xx, in the error shape, appending nothing when it refuses`,
    async () => {
      await fc.assert(
        fc.asyncProperty(restCase, async (c) => {
          let path = c.route ? c.route.path.replace(/\{(\w+)\}/g, () => c.param()) : c.randomPath;
          if (c.query) path += `?${new URLSearchParams(c.query)}`;
          const hdrs: Record<string, string> = { ...(c.headers as Record<string, string>) };
          const cred = c.credential();
          if (cred !== null) hdrs.authorization = `Bearer ${cred}`;
          const before = eventCount();
          const res = await send(c.method, path, hdrs, c.body);
          const where = `${c.method} ${path.slice(0, 100)} → ${res.status} ${res.text.slice(0, 200)}`;
          checkAnswer(where, c.method, res, before, 'rest');
          afterCase(path === '/auth/logout' ? cred : null, res);
        }),
        { numRuns: HTTP_RUNS },
      );
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    },
    TIMEOUT,
  );

  it(
    `answers ${TRPC_RUNS} random calls across every tRPC procedure without a 5xx, appending nothing when it refuses`,
    async () => {
      const procedures = Object.entries(
        (
          appRouter as unknown as {
            _def: { procedures: Record<string, { _def: { type: 'query' | 'mutation' } }> };
          }
        )._def.procedures,
      ).map(([name, p]) => ({ name, type: p._def.type }));
      expect(procedures.length).toBeGreaterThan(10);
      const trpcCase = fc.record({
        procedure: fc.oneof(
          { weight: 9, arbitrary: fc.constantFrom(...procedures) },
          {
            weight: 1,
            arbitrary: fc
              .string({ maxLength: 20 })
              .map((name) => ({ name: encodeURIComponent(name), type: 'query' as const })),
          },
        ),
        wrongMethod: fc.boolean().map((b) => b && Math.random() < 0.1),
        input: fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .record({
                key_id: fc.integer({ min: 0, max: 2 }).map((i) => () => fx.targets[i] as string),
                extra: fc.dictionary(
                  fc.constantFrom(
                    'name',
                    'description',
                    'scope',
                    'days',
                    'limit',
                    'grace_period_seconds',
                    'reason',
                    'key',
                    'all_users',
                    'user_id',
                    'as_of',
                    'cursor',
                    'status',
                  ),
                  fc.jsonValue({ maxDepth: 1 }),
                  { maxKeys: 3 },
                ),
              })
              .map(({ key_id, extra }) => () => ({ key_id: key_id(), ...extra })),
          },
          { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => () => v) },
          { weight: 1, arbitrary: fc.constant(() => undefined) },
        ),
        rawBody: fc.option(weirdText, { freq: 8, nil: undefined }),
        headers,
        credential: credential(),
      });
      await fc.assert(
        fc.asyncProperty(trpcCase, async (c) => {
          const isQuery = (c.procedure.type === 'query') !== c.wrongMethod;
          const input = c.input();
          const method = isQuery ? 'GET' : 'POST';
          let path = `/trpc/${c.procedure.name}`;
          if (isQuery && input !== undefined) path += `?input=${encodeURIComponent(JSON.stringify(input))}`;
          const body = isQuery
            ? undefined
            : (c.rawBody ?? (input === undefined ? undefined : JSON.stringify(input)));
          const hdrs: Record<string, string> = { ...(c.headers as Record<string, string>) };
          const cred = c.credential();
          if (cred !== null) hdrs.authorization = `Bearer ${cred}`;
          const before = eventCount();
          const res = await send(method, path, hdrs, body);
          const where = `${method} ${path.slice(0, 100)} → ${res.status} ${res.text.slice(0, 200)}`;
          checkAnswer(where, method, res, before, 'trpc');
          afterCase(c.procedure.name === 'auth.signOut' ? cred : null, res);
        }),
        { numRuns: TRPC_RUNS },
      );
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    },
    TIMEOUT,
  );

  describe('the key parser', () => {
    const KEY = /^rag_[0-9A-Za-z]{49}$/;
    const generated = fc.uint8Array({ minLength: 256, maxLength: 256 }).map((bytes) => {
      let offset = 0;
      // A deterministic byte source from fast-check, so every case can be replayed from its seed.
      return generateKey('rag', (size) => {
        const out = Buffer.alloc(size);
        for (let i = 0; i < size; i++) out[i] = bytes[(offset + i) % bytes.length] as number;
        offset += size;
        return out;
      }).plaintext;
    });
    const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

    // Over HTTP first: the synchronous properties below hold the event loop for a long while in the long
    // mode, and an idle keep-alive connection to this in-process server would time out under them.
    it(
      `answers ${VERIFY_RUNS} altered and random keys at /api-keys/verify as MALFORMED or NOT_FOUND, appending nothing`,
      async () => {
        const api = recordingClient(server.url);
        const real = fx.apiKeys[0] as string;
        const candidate = fc.oneof(
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 61 })).map(([at, shift]) => {
            const i = 4 + (at % (real.length - 4));
            const other = BASE62[(BASE62.indexOf(real[i] as string) + shift) % 62] as string;
            return real.slice(0, i) + other + real.slice(i + 1);
          }),
          generated,
          fc.string({ maxLength: 256 }),
          fc.string({ unit: 'binary', maxLength: 64 }),
        );
        await fc.assert(
          fc.asyncProperty(candidate, async (key) => {
            const before = eventCount();
            const res = await api.post<{ valid: boolean; code: string }>('/api-keys/verify', { key });
            if (api.answers.length > 100) api.answers.splice(0);
            expect(res.status, key).toBe(200);
            expect(res.body.valid, key).toBe(false);
            expect(['MALFORMED', 'NOT_FOUND'], key).toContain(res.body.code);
            if (isWellFormedKey(key)) expect(res.body.code).toBe('NOT_FOUND');
            else expect(res.body.code).toBe('MALFORMED');
            expect(newEventTypes(before)).toEqual([]);
          }),
          { numRuns: VERIFY_RUNS },
        );
      },
      TIMEOUT,
    );
    it('never throws on any string, and accepts only the key shape', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ maxLength: 2000 }), weirdText),
          (s) => {
            const ok = isWellFormedKey(s);
            expect(typeof ok).toBe('boolean');
            if (ok) expect(s).toMatch(/^[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{49}$/);
          },
        ),
        { numRuns: PARSER_RUNS },
      );
    });

    it('accepts every generated key, and rejects every one-character change, swap, cut or addition to its secret part', () => {
      fc.assert(
        fc.property(
          generated,
          fc.nat(),
          fc.integer({ min: 1, max: 61 }),
          fc.constantFrom('substitute', 'swap', 'delete', 'insert'),
          (key, at, shift, edit) => {
            expect(key).toMatch(KEY);
            expect(isWellFormedKey(key)).toBe(true);
            const body = key.slice(4);
            const i = at % body.length;
            const ch = body[i] as string;
            const other = BASE62[(BASE62.indexOf(ch) + shift) % 62] as string;
            let changed = body;
            if (edit === 'substitute') changed = body.slice(0, i) + other + body.slice(i + 1);
            if (edit === 'delete') changed = body.slice(0, i) + body.slice(i + 1);
            if (edit === 'insert') changed = body.slice(0, i) + other + body.slice(i);
            if (edit === 'swap') {
              const j = (i + 1) % body.length;
              if (body[j] === ch) return;
              const chars = [...body];
              [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
              changed = chars.join('');
            }
            expect(isWellFormedKey(`rag_${changed}`), `${edit} at ${i}`).toBe(false);
          },
        ),
        { numRuns: PARSER_RUNS },
      );
    });
  });
});
