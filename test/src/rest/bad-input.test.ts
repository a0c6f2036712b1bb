import { restRoutes, type RestRoute } from '@keyledger/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  errorShapeProblem,
  generateKey,
  signUp,
  startServer,
  type Reply,
  type RestServer,
} from './harness.js';

const BODY_LIMIT = 64 * 1024;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

interface BadRequest {
  kind: string;
  method: string;
  path: string;
  withCredentials: boolean;
  headers?: Record<string, string>;
  body?: string;
  /** What the answer must be, when the request has credentials; any 4xx otherwise. */
  expect?: { status: number; code: string; field?: string };
}

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const invalidJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"name":',
    "{'name': 'x'}",
    '[1,',
    '{"a":1}}',
    'nul',
    '{"a":NaN}',
    '{"a":01}',
    '\u0000',
  ),
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0 && !isJson(s)),
);
const notAnObject = fc
  .oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.string(),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  )
  .map((v) => JSON.stringify(v));
const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
const wrongContentType = fc.constantFrom(
  'text/plain',
  'application/xml',
  'text/html',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
);

/** A value of another JSON type than the example's, or a number out of any range the API takes. */
function wrongValue(example: unknown): fc.Arbitrary<unknown> {
  const others: fc.Arbitrary<unknown>[] = [
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.array(fc.integer(), { minLength: 1, maxLength: 2 }), {
      minKeys: 1,
      maxKeys: 2,
    }),
  ];
  if (typeof example !== 'string') others.push(fc.string({ maxLength: 20 }));
  if (typeof example !== 'boolean') others.push(fc.boolean());
  if (typeof example === 'number') {
    others.push(fc.integer({ max: -1 }), fc.integer({ min: 10_000_000 }), fc.double({ min: 0.1, max: 0.9 }));
  } else {
    others.push(fc.integer());
  }
  return fc.oneof(...others);
}

const subsets = (items: string[]): string[][] =>
  items.reduce<string[][]>((all, item) => [...all, ...all.map((s) => [...s, item])], [[]]).slice(1);

describe('bad input on every route', () => {
  let server: RestServer;
  let token: string;
  let apiKey: string;
  let keyId: string;

  beforeAll(async () => {
    server = await startServer();
    token = (await signUp(server.url, 'fuzzer')).token;
    const key = await generateKey(server.url, token, {
      name: 'fuzz',
      scope: 'full_access',
      rate_limit: 10_000,
    });
    apiKey = key.key;
    keyId = key.key_id;
  });
  afterAll(() => server.close());

  const pathOf = (route: RestRoute, params: Record<string, string> = {}) =>
    route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      name in params ? (params[name] as string) : name === 'asset' ? 'swagger-ui.css' : keyId,
    );
  const allowedOn = (path: string) => restRoutes.filter((r) => r.path === path).map((r): string => r.method);

  /** Everything that can be wrong with a request to this route, as a fast-check arbitrary. */
  function badRequests(route: RestRoute): fc.Arbitrary<BadRequest> {
    const path = pathOf(route);
    const base = { method: route.method, path };
    const json = { 'content-type': 'application/json' };
    const kinds: fc.Arbitrary<Omit<BadRequest, 'withCredentials'>>[] = [];

    const otherMethods = METHODS.filter((m) => !allowedOn(route.path).includes(m));
    kinds.push(
      fc.constantFrom(...otherMethods).map((method) => ({
        kind: 'wrong method',
        ...base,
        method,
        expect: { status: 405, code: 'METHOD_NOT_ALLOWED' },
      })),
    );
    const known = Object.keys(route.query?.shape ?? {});
    kinds.push(
      fc
        .oneof(fieldName, fc.constantFrom('api_key', 'token', 'access_token', 'key'))
        .filter((name) => !known.includes(name))
        .map((name) => ({
          kind: 'unknown query parameter',
          ...base,
          path: `${path}?${name}=1`,
          expect: { status: 400, code: 'VALIDATION_FAILED', field: name },
        })),
    );
    kinds.push(
      fc.constant({
        kind: 'invalid Idempotency-Key',
        ...base,
        headers: { 'idempotency-key': 'x'.repeat(256) },
        expect: { status: 400, code: 'VALIDATION_FAILED', field: 'Idempotency-Key' },
      }),
    );

    const query = route.query;
    if (query) {
      const names = Object.keys(query.shape);
      kinds.push(
        fc
          .record({ name: fc.constantFrom(...names), value: fc.string({ maxLength: 30 }) })
          .filter(({ name, value }) => !query.safeParse({ [name]: value }).success)
          .map(({ name, value }) => ({
            kind: 'wrong query value',
            ...base,
            path: `${path}?${new URLSearchParams({ [name]: value })}`,
            expect: { status: 400, code: 'VALIDATION_FAILED', field: name },
          })),
      );
    }

    if (route.params) {
      kinds.push(
        fc.oneof(
          fc.integer({ min: 65, max: 300 }).map((n) => ({
            kind: 'path parameter too long',
            ...base,
            path: pathOf(route, { key_id: 'k'.repeat(n), asset: 'a'.repeat(n) }),
          })),
          fc.constant({
            kind: 'broken percent-encoding',
            ...base,
            path: pathOf(route, { key_id: '%E0%A4%A', asset: '%E0%A4%A' }),
            expect: { status: 400, code: 'VALIDATION_FAILED' },
          }),
          fc.constantFrom('key_0000', '..%2Fpackage.json', '%2e%2e').map((id) => ({
            kind: 'no such resource',
            ...base,
            path: pathOf(route, { key_id: id, asset: id }),
          })),
        ),
      );
    }

    if (route.method !== 'GET') {
      kinds.push(
        invalidJson.map((body) => ({
          kind: 'invalid JSON',
          ...base,
          headers: json,
          body,
          expect: { status: 400, code: 'INVALID_JSON' },
        })),
        notAnObject.map((body) => ({
          kind: 'JSON that is not an object',
          ...base,
          headers: json,
          body,
          expect: { status: 400, code: 'VALIDATION_FAILED' },
        })),
        fc.integer({ min: BODY_LIMIT + 1, max: 3 * BODY_LIMIT }).map((size) => ({
          kind: 'body over the limit',
          ...base,
          headers: json,
          body: JSON.stringify({ name: 'x'.repeat(size) }),
          expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
        })),
        wrongContentType
          .filter((type) => !(route.bodyKind === 'json-or-form' && type.startsWith('application/x-www-form')))
          .map((type) => ({
            kind: 'wrong content type',
            ...base,
            headers: { 'content-type': type },
            body: JSON.stringify(route.examples?.body ?? { a: 1 }),
            expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
          })),
        fc.constant({
          kind: 'a JSON body without a content type',
          ...base,
          body: JSON.stringify(route.examples?.body ?? { a: 1 }),
          expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        }),
      );
      const schema = route.body;
      const example = (route.examples?.body ?? {}) as Record<string, unknown>;
      if (!schema) {
        kinds.push(
          fc.dictionary(fieldName, fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }).map((body) => ({
            kind: 'a body where none is taken',
            ...base,
            headers: json,
            body: JSON.stringify(body),
            expect: { status: 400, code: 'VALIDATION_FAILED' },
          })),
        );
      } else {
        const invalid = (body: Record<string, unknown>) => !schema.safeParse(body).success;
        const fields = Object.keys(example);
        if (fields.length > 0) {
          kinds.push(
            fc
              .constantFrom(...fields)
              .chain((field) => wrongValue(example[field]).map((value) => ({ field, value })))
              .map(({ field, value }) => ({ field, body: { ...example, [field]: value } }))
              .filter(({ body }) => invalid(body))
              .map(({ field, body }) => ({
                kind: 'a field of the wrong type or value',
                ...base,
                headers: json,
                body: JSON.stringify(body),
                expect: { status: 400, code: 'VALIDATION_FAILED', field },
              })),
          );
          // Every way of leaving fields out that the schema refuses, worked out here rather than by
          // filtering: a filter that can never pass would never end.
          const missing = subsets(fields)
            .map((gone) => Object.fromEntries(Object.entries(example).filter(([k]) => !gone.includes(k))))
            .filter(invalid);
          if (missing.length > 0) {
            kinds.push(
              fc.constantFrom(...missing).map((body) => ({
                kind: 'required fields missing',
                ...base,
                headers: json,
                body: JSON.stringify(body),
                expect: { status: 400, code: 'VALIDATION_FAILED' },
              })),
            );
          }
        }
        kinds.push(
          fc
            .record({ field: fieldName.filter((f) => !(f in example)), value: fc.jsonValue({ maxDepth: 1 }) })
            .map(({ field, value }) => ({ field, body: { ...example, [field]: value } }))
            .filter(({ body }) => invalid(body))
            .map(({ field, body }) => ({
              kind: 'an unknown field',
              ...base,
              headers: json,
              body: JSON.stringify(body),
              expect: { status: 400, code: 'VALIDATION_FAILED', field },
            })),
        );
      }
    }
    return fc
      .record({ request: fc.oneof(...kinds), withCredentials: fc.boolean() })
      .map(({ request, withCredentials }) => ({ ...request, withCredentials }));
  }

  function checkAnswer(route: RestRoute, req: BadRequest, res: Reply) {
    const where = `${req.kind}: ${req.method} ${req.path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 300)}`;
    expect(res.status, where).toBeGreaterThanOrEqual(400);
    expect(res.status, where).toBeLessThan(500);
    expect(res.headers.get('x-request-id'), where).toBeTruthy();
    if (req.method === 'HEAD') return;
    expect(errorShapeProblem(res.body), where).toBeNull();
    if (res.status === 405) {
      expect(res.headers.get('allow')?.split(', ').sort(), where).toEqual(allowedOn(route.path).sort());
    }
    if (!req.withCredentials || !req.expect) return;
    const error = (res.body as { error: { code: string; details?: { issues?: { path: string }[] } } }).error;
    expect({ status: res.status, code: error.code }, where).toEqual({
      status: req.expect.status,
      code: req.expect.code,
    });
    if (req.expect.code === 'VALIDATION_FAILED') {
      // The details name what is wrong, so a client can point at the field.
      expect(error.details?.issues?.length, where).toBeGreaterThan(0);
      if (req.expect.field) expect(JSON.stringify(error.details), where).toContain(req.expect.field);
    }
  }

  it.each(restRoutes.map((route) => ({ route, name: `${route.method} ${route.path}` })))(
    '$name: answers every bad request with a 4xx in the error shape and appends nothing',
    async ({ route }) => {
      const before = server.eventCount();
      await fc.assert(
        fc.asyncProperty(badRequests(route), async (req) => {
          const credential = route.auth === 'api_key' ? apiKey : token;
          const res = await call(server.url, req.method, req.path, {
            bearer: req.withCredentials ? credential : undefined,
            raw: req.body,
            headers: req.headers,
          });
          checkAnswer(route, req, res);
          expect(server.eventCount(), `${req.kind} appended to the log`).toBe(before);
        }),
        { numRuns: 60 },
      );
    },
  );

  it('refuses a chunked body over the limit with 413 without reading all of it', async () => {
    const chunk = new TextEncoder().encode(`"${'x'.repeat(16 * 1024)}",`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 4 * BODY_LIMIT) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const before = server.eventCount();
    const res = await fetch(`${server.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(errorShapeProblem(await res.json())).toBeNull();
    expect(server.eventCount()).toBe(before);
  });
});
