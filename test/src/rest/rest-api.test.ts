import { restRoutes } from '@keyledger/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  errorShapeProblem,
  generateKey,
  signUp,
  startServer,
  type CreatedKey,
  type RestServer,
} from './harness.js';

const routeOf = (operationId: string) => {
  const route = restRoutes.find((r) => r.operationId === operationId);
  if (!route) throw new Error(`no route ${operationId}`);
  return route;
};

describe('the REST API', () => {
  let server: RestServer;
  let token: string;

  beforeAll(async () => {
    server = await startServer();
    token = (await signUp(server.url, 'alice')).token;
  });
  afterAll(() => server.close());

  describe('X-Request-Id', () => {
    it('is on every answer: success, error, 404, 405, 413 and the docs', async () => {
      const answers = [
        await call(server.url, 'GET', '/api-keys/list', { bearer: token }),
        await call(server.url, 'GET', '/api-keys/list'),
        await call(server.url, 'GET', '/nothing-here'),
        await call(server.url, 'PATCH', '/api-keys/list', { bearer: token }),
        await call(server.url, 'POST', '/api-keys/generate', {
          bearer: token,
          json: { name: 'x'.repeat(70_000) },
        }),
        await call(server.url, 'GET', '/docs/swagger-ui.css'),
        await call(server.url, 'GET', '/openapi.json'),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 405, 413, 200, 200]);
      for (const a of answers) expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(answers.map((a) => a.headers.get('x-request-id'))).size).toBe(answers.length);
    });

    it('echoes a well-formed id the client sent, and replaces one that is not', async () => {
      const mine = await call(server.url, 'GET', '/healthz', {
        headers: { 'x-request-id': 'client-trace.42' },
      });
      expect(mine.headers.get('x-request-id')).toBe('client-trace.42');
      const bad = await call(server.url, 'GET', '/healthz', {
        headers: { 'x-request-id': 'no spaces <allowed>' },
      });
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('Idempotency-Key', () => {
    const withKey = (key: string) => ({ 'idempotency-key': key });

    it('makes a retried generate return the same key, once', async () => {
      const body = { name: 'idempotent', scope: 'query_only' };
      const first = await call<CreatedKey>(server.url, 'POST', '/api-keys/generate', {
        bearer: token,
        json: body,
        headers: withKey('gen-1'),
      });
      const events = server.eventCount();
      const retry = await call<CreatedKey>(server.url, 'POST', '/api-keys/generate', {
        bearer: token,
        json: body,
        headers: withKey('gen-1'),
      });
      expect(first.status).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(server.eventCount()).toBe(events);
      const conflict = await call(server.url, 'POST', '/api-keys/generate', {
        bearer: token,
        json: { ...body, name: 'another' },
        headers: withKey('gen-1'),
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } });
      expect(server.eventCount()).toBe(events);
    });

    it('makes retried update, regenerate and revoke act once and answer the same', async () => {
      const key = await generateKey(server.url, token, { name: 'lifecycle' });
      const steps: [string, string, unknown][] = [
        ['PUT', `/api-keys/${key.key_id}`, { name: 'renamed' }],
        ['POST', `/api-keys/${key.key_id}/regenerate`, { grace_period_seconds: 60 }],
        ['DELETE', `/api-keys/${key.key_id}`, { reason: 'done' }],
      ];
      for (const [method, path, json] of steps) {
        const idem = withKey(`${method}-${path}`);
        const first = await call(server.url, method, path, { bearer: token, json, headers: idem });
        expect(first.status, `${method} ${path}: ${first.text}`).toBe(200);
        const events = server.eventCount();
        const retry = await call(server.url, method, path, { bearer: token, json, headers: idem });
        expect(retry.status).toBe(200);
        expect(retry.body).toEqual(first.body);
        expect(server.eventCount(), `${method} ${path} acted twice`).toBe(events);
      }
      const history = await call<{ events: { type: string }[] }>(
        server.url,
        'GET',
        `/api-keys/${key.key_id}/events`,
        {
          bearer: token,
        },
      );
      const types = history.body.events.map((e) => e.type).filter((t) => t !== 'key.used');
      expect(types.filter((t) => t.includes('regenerat'))).toHaveLength(1);
      expect(types.filter((t) => t.includes('revoke'))).toHaveLength(1);
    });

    it('makes a retried ingest store the text once, and scopes the key to the API key', async () => {
      const a = await generateKey(server.url, token, { name: 'ingest-a', scope: 'full_access' });
      const b = await generateKey(server.url, token, { name: 'ingest-b', scope: 'full_access' });
      const body = { data_type: 'text', content: 'Idempotent ingestion stores a text once.', metadata: {} };
      const ingest = (key: string) =>
        call<{ document_id: string }>(server.url, 'POST', '/ingest', {
          bearer: key,
          json: body,
          headers: withKey('doc-1'),
        });
      const first = await ingest(a.key);
      const retry = await ingest(a.key);
      expect(first.status).toBe(201);
      expect(retry.body.document_id).toBe(first.body.document_id);
      // Another key's request with the same Idempotency-Key is its own request, not a replay.
      const other = await ingest(b.key);
      expect(other.status).toBe(201);
      expect(other.body.document_id).not.toBe(first.body.document_id);
      const info = await call<{ knowledge_base: { documents: number } }>(server.url, 'GET', '/system/info', {
        bearer: a.key,
      });
      expect(info.body.knowledge_base.documents).toBe(2);
      const conflict = await call(server.url, 'POST', '/ingest', {
        bearer: a.key,
        json: { ...body, content: 'something else' },
        headers: withKey('doc-1'),
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } });
    });
  });

  describe('the demo knowledge API', () => {
    let alice: CreatedKey;
    let bob: CreatedKey;
    beforeAll(async () => {
      alice = await generateKey(server.url, token, { name: 'kb', scope: 'full_access', rate_limit: 1000 });
      const bobToken = (await signUp(server.url, 'bob')).token;
      bob = await generateKey(server.url, bobToken, { name: 'kb', scope: 'full_access', rate_limit: 1000 });
      const texts: [string, Record<string, string>][] = [
        ['SQLite FTS5 ranks full-text matches with the bm25 function.', { source: 'fts.md' }],
        [
          'Regenerating an API key issues a new secret. The old secret can keep working for a grace period.',
          { source: 'keys.md' },
        ],
        ['Tomatoes are fruit botanically, and vegetables in the kitchen.', { source: 'food.md' }],
      ];
      for (const [content, metadata] of texts) {
        const res = await call(server.url, 'POST', '/ingest', {
          bearer: alice.key,
          json: { data_type: 'text', content, metadata },
        });
        expect(res.status).toBe(201);
        expect(routeOf('ingest').response.safeParse(res.body).success).toBe(true);
      }
    });

    const ask = (key: string, query: string, top_k?: number) =>
      call<{
        query: string;
        answer: string;
        sources: { document_id: string; metadata: Record<string, string> }[];
      }>(server.url, 'POST', '/query', {
        bearer: key,
        json: top_k === undefined ? { query } : { query, top_k },
      });

    it('answers with the passage that best matches, and names its document', async () => {
      const res = await ask(
        alice.key,
        'How long does the old secret keep working after I regenerate a key?',
        1,
      );
      expect(res.status).toBe(200);
      expect(routeOf('query').response.safeParse(res.body).success).toBe(true);
      expect(res.body.answer).toBe(
        'Regenerating an API key issues a new secret. The old secret can keep working for a grace period.',
      );
      expect(res.body.sources.map((s) => s.metadata.source)).toEqual(['keys.md']);
      const fts = await ask(alice.key, 'which function ranks matches in FTS5?');
      expect(fts.body.sources[0]?.metadata.source).toBe('fts.md');
    });

    it('says so when nothing matches, and keeps each account’s texts to its own keys', async () => {
      const none = await ask(alice.key, 'quantum chromodynamics');
      expect(none.status).toBe(200);
      expect(none.body.sources).toEqual([]);
      expect(none.body.answer).toMatch(/No passage/);
      const other = await ask(bob.key, 'tomatoes fruit');
      expect(other.body.sources).toEqual([]);
      const info = await call<{ knowledge_base: { documents: number } }>(server.url, 'GET', '/system/info', {
        bearer: bob.key,
      });
      expect(info.body.knowledge_base.documents).toBe(0);
      expect(routeOf('systemInfo').response.safeParse(info.body).success).toBe(true);
    });

    it('reads FTS5 syntax in a query as plain words', async () => {
      for (const query of [
        '"',
        'NEAR(tomato fruit)',
        'text:tomatoes',
        'bm25*',
        '-',
        'AND OR NOT',
        "'); DROP TABLE kb_documents; --",
      ]) {
        const res = await ask(alice.key, query);
        expect(res.status, `${query}: ${res.text}`).toBe(200);
      }
      expect((await ask(alice.key, 'text:tomatoes')).body.sources[0]?.metadata.source).toBe('food.md');
    });

    it('refuses data types other than text, naming the field', async () => {
      const res = await call(server.url, 'POST', '/ingest', {
        bearer: alice.key,
        json: { data_type: 'pdf', content: 'x' },
      });
      expect(res.status).toBe(400);
      expect(errorShapeProblem(res.body)).toBeNull();
      expect(res.body).toMatchObject({ error: { details: { issues: [{ path: 'data_type' }] } } });
    });
  });

  describe('the management routes', () => {
    it('shows a key as it was at as_of', async () => {
      const key = await generateKey(server.url, token, { name: 'before' });
      const created = (
        await call<{ created_at: string }>(server.url, 'GET', `/api-keys/${key.key_id}`, { bearer: token })
      ).body.created_at;
      await new Promise((r) => setTimeout(r, 5));
      await call(server.url, 'PUT', `/api-keys/${key.key_id}`, { bearer: token, json: { name: 'after' } });
      const now = await call<{ name: string }>(server.url, 'GET', `/api-keys/${key.key_id}`, {
        bearer: token,
      });
      const then = await call<{ name: string }>(
        server.url,
        'GET',
        `/api-keys/${key.key_id}?as_of=${encodeURIComponent(created)}`,
        { bearer: token },
      );
      expect([now.body.name, then.body.name]).toEqual(['after', 'before']);
    });

    it('filters the list by status, and keeps other users’ keys to admins', async () => {
      const key = await generateKey(server.url, token, { name: 'to-revoke' });
      await call(server.url, 'DELETE', `/api-keys/${key.key_id}`, { bearer: token });
      const revoked = await call<{ keys: { key_id: string; status: string }[] }>(
        server.url,
        'GET',
        '/api-keys/list?status=revoked',
        { bearer: token },
      );
      expect(revoked.body.keys.map((k) => k.key_id)).toContain(key.key_id);
      expect(new Set(revoked.body.keys.map((k) => k.status))).toEqual(new Set(['revoked']));
      const others = await call(server.url, 'GET', '/api-keys/list?all_users=true', { bearer: token });
      expect(others.status).toBe(403);
      expect(others.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    });

    it('puts the key’s rate-limit headers on /api-keys/verify answers', async () => {
      const key = await generateKey(server.url, token, { name: 'verified', rate_limit: 50 });
      const res = await call(server.url, 'POST', '/api-keys/verify', { json: { key: key.key } });
      expect(res.body).toMatchObject({ valid: true, code: 'VALID' });
      expect(res.headers.get('x-ratelimit-limit')).toBe('50');
      expect(res.headers.get('ratelimit-policy')).toBe('50;w=3600');
    });
  });
});
