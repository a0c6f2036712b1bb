import { Validator } from '@seriousme/openapi-schema-validator';
import { ERROR_CODES, httpStatusOf, restRoutes, type ErrorCode, type RestRoute } from '@keyledger/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type RestServer } from './harness.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: Record<string, { schema?: { $ref?: string }; examples?: Record<string, { value: unknown }> }>;
    }
  >;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme: string }>;
    schemas: Record<string, unknown>;
  };
}

const operationsOf = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
const mountedBy = (demoApi: boolean) =>
  restRoutes.filter((r) => demoApi || !r.demo).map((r) => `${r.method} ${r.path}`);

/** A concrete path for a template; a key id nobody has, and a real asset of the API reference. */
const concrete = (path: string) =>
  path.replace('{key_id}', 'key_00000000000000000000000000000000').replace('{asset}', 'swagger-ui.css');

describe.each([
  { demo: 'on', demoApi: true },
  { demo: 'off', demoApi: false },
])('the OpenAPI document with the demo API $demo', ({ demo, demoApi }) => {
  let server: RestServer;
  let doc: Document;

  beforeAll(async () => {
    server = await startServer({ env: { KEYLEDGER_DEMO_API: demo } });
    const res = await call<Document>(server.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => server.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents exactly the routes of the route table that this server mounts', () => {
    expect(operationsOf(doc).sort()).toEqual(mountedBy(demoApi).sort());
    const knowledge = ['GET /system/info', 'POST /query', 'POST /ingest'];
    for (const op of knowledge) expect(operationsOf(doc).includes(op)).toBe(demoApi);
  });

  it('mounts every documented operation and nothing else on those paths, as probing shows', async () => {
    for (const [template, item] of Object.entries(doc.paths)) {
      const documented = Object.keys(item).map((m) => m.toUpperCase());
      for (const method of METHODS) {
        const res = await call<{ error?: { message: string } }>(server.url, method, concrete(template));
        const where = `${method} ${template} → ${res.status} ${res.text.slice(0, 200)}`;
        if (documented.includes(method)) {
          expect(res.status, where).not.toBe(405);
          // The fallback for unmounted paths says "no route"; a mounted route never does.
          expect(res.body?.error?.message ?? '', where).not.toMatch(/^no route/);
        } else {
          expect(res.status, where).toBe(405);
          expect(res.headers.get('allow')?.split(', ').sort(), where).toEqual(documented.sort());
        }
      }
    }
  });

  it('mounts nothing at paths it does not document', async () => {
    const undocumented = [
      '/api-keys',
      '/api-keys/',
      '/auth',
      '/openapi.yaml',
      '/query/',
      '/docs/',
      '/v1/query',
    ];
    if (!demoApi) undocumented.push('/query', '/ingest', '/system/info');
    for (const path of undocumented) {
      for (const method of ['GET', 'POST']) {
        const res = await call<{ error: { code: string; message: string } }>(server.url, method, path);
        expect({ path, method, status: res.status, code: res.body?.error.code }).toEqual({
          path,
          method,
          status: 404,
          code: 'NOT_FOUND',
        });
        expect(res.body.error.message).toMatch(/^no route/);
      }
    }
  });
});

describe('what the OpenAPI document says about each operation', () => {
  let server: RestServer;
  let doc: Document;
  beforeAll(async () => {
    server = await startServer();
    doc = (await call<Document>(server.url, 'GET', '/openapi.json')).body;
  });
  afterAll(() => server.close());

  const opOf = (route: RestRoute) => doc.paths[route.path]?.[route.method.toLowerCase()] as Operation;

  it('declares bearer schemes for access tokens and API keys, and each operation’s', () => {
    expect(doc.components.securitySchemes.accessToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const expected = { bearer: [{ accessToken: [] }], api_key: [{ apiKey: [] }], none: [] };
    for (const route of restRoutes) {
      expect({ op: route.operationId, security: opOf(route).security }).toEqual({
        op: route.operationId,
        security: expected[route.auth],
      });
    }
  });

  it('gives every error response the error schema, with an example per code at its status', () => {
    for (const route of restRoutes) {
      const op = opOf(route);
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      for (const code of route.errors) {
        expect(op.responses[String(httpStatusOf(code))], `${route.operationId} ${code}`).toBeDefined();
      }
      for (const [status, response] of errors) {
        const json = response.content?.['application/json'];
        expect(json?.schema?.$ref, `${route.operationId} ${status}`).toBe('#/components/schemas/Error');
        const examples = Object.entries(json?.examples ?? {});
        expect(examples.length).toBeGreaterThan(0);
        for (const [code, example] of examples) {
          expect(code in ERROR_CODES).toBe(true);
          expect(httpStatusOf(code as ErrorCode)).toBe(Number(status));
          expect(example.value).toMatchObject({ error: { code } });
        }
        expect(response.headers).toHaveProperty('X-Request-Id');
        if (status === '429') expect(response.headers).toHaveProperty('Retry-After');
      }
      if (route.auth === 'bearer') expect(op.responses['401']).toBeDefined();
      if (route.auth === 'api_key') {
        for (const status of ['401', '403', '429']) expect(op.responses[status]).toBeDefined();
      }
      if (route.method !== 'GET') {
        for (const status of ['400', '413', '415']) expect(op.responses[status]).toBeDefined();
      }
    }
  });

  it('documents the rate-limit headers where a key is used, and Idempotency-Key on every mutation', () => {
    for (const route of restRoutes) {
      const op = opOf(route);
      const success = op.responses[String(route.status)];
      const hasRateHeaders = Object.keys(success?.headers ?? {}).includes('RateLimit');
      expect({ op: route.operationId, hasRateHeaders }).toEqual({
        op: route.operationId,
        hasRateHeaders: route.auth === 'api_key' || route.operationId === 'verifyKey',
      });
      const idempotency = (op.parameters ?? []).some(
        (p) => p.in === 'header' && p.name === 'Idempotency-Key',
      );
      expect({ op: route.operationId, idempotency }).toEqual({
        op: route.operationId,
        idempotency: route.method !== 'GET',
      });
    }
  });

  it('has examples that the routes’ own schemas accept', () => {
    for (const route of restRoutes) {
      if (route.body) {
        expect(route.examples?.body, `${route.operationId} has no request example`).toBeDefined();
        const parsed = route.body.safeParse(route.examples?.body);
        expect(parsed.success, `${route.operationId}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      }
      if (route.examples?.response !== undefined) {
        const parsed = route.response.safeParse(route.examples.response);
        expect(parsed.success, `${route.operationId}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      } else {
        // Only the documentation routes, whose answers are the document and its files, go without.
        expect(route.tag, route.operationId).toBe('Documentation');
      }
    }
  });

  it('takes the token endpoint’s body as JSON or as the OAuth2 password form', () => {
    const token = doc.paths['/auth/token']?.post as Operation;
    expect(Object.keys(token.requestBody?.content ?? {}).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
  });
});
