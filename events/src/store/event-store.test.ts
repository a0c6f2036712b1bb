import { afterEach, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore } from '../index.js';

const created = (keyId: string) => ({
  type: 'key.created' as const,
  data: {
    key_id: keyId,
    user_id: 'u1',
    name: 'prod',
    description: null,
    scope: 'query_only' as const,
    key_hash: `hash-${keyId}`,
    key_prefix: 'rag_abcd',
    expires_at: null,
    rate_limit: 100,
    rate_window: 3600,
    metadata: null,
  },
});

describe('event store', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it('appends a lifecycle event and projects it before append returns', () => {
    let now = 1_000;
    store = createEventStore({ path: ':memory:', clock: () => now });
    const result = store.append('key-k1', 'no_stream', [created('k1')], {
      actor: { type: 'user', id: 'u1' },
    });
    expect(result).toMatchObject({ ok: true, positions: [1], streamVersion: 1 });
    now = 2_000;
    store.append('key-k1', 1, [{ type: 'key.revoked', data: { key_id: 'k1', reason: 'leaked' } }]);
    const row = store.db
      .prepare('SELECT status, revoked_at, last_position FROM api_keys WHERE key_id = ?')
      .get('k1');
    expect(row).toEqual({ status: 'revoked', revoked_at: 2_000, last_position: 2 });
  });

  it('rejects an append at a stale expected version with VERSION_CONFLICT', () => {
    store = createEventStore({ path: ':memory:' });
    store.append('key-k1', 'no_stream', [created('k1')]);
    const second = store.append('key-k1', 'no_stream', [created('k1')]);
    expect(second).toEqual({
      ok: false,
      error: 'VERSION_CONFLICT',
      streamId: 'key-k1',
      expected: 'no_stream',
      actual: 1,
    });
  });

  it('counts buffered uses in the log, the key row and the rollups after flush', () => {
    store = createEventStore({ path: ':memory:', clock: () => 5_000 });
    store.append('key-k1', 'no_stream', [created('k1')]);
    for (let i = 0; i < 3; i++) {
      store.recordUsage({
        key_id: 'k1',
        endpoint: '/query',
        ip: null,
        user_agent: null,
        success: i > 0,
        error_code: i > 0 ? null : 'RATE_LIMITED',
      });
    }
    expect(store.flush()).toBe(3);
    expect(store.db.prepare('SELECT usage_count, last_used FROM api_keys').get()).toEqual({
      usage_count: 3,
      last_used: 5_000,
    });
    expect(
      store.db
        .prepare("SELECT successes, failures, rate_limited FROM key_usage_rollups WHERE granularity = 'day'")
        .get(),
    ).toEqual({ successes: 2, failures: 1, rate_limited: 1 });
  });
});
