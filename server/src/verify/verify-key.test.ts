import type { ApiKeyRow, EventStore } from '@keyledger/events';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../keys/key-format.js';
import { keyHasher } from '../keys/key-hash.js';
import type { KeyQueries } from '../keys/key-queries.js';
import { keyCache } from './key-cache.js';
import { rateLimiter } from './rate-limiter.js';
import { keyVerifier } from './verify-key.js';

const NOW = 1_767_225_600_000;
const hash = keyHasher(Buffer.alloc(32, 7));

function row(plaintext: string, overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return {
    key_id: 'key_1',
    key_prefix: plaintext.slice(0, 10),
    key_hash: hash(plaintext),
    name: 'k',
    description: null,
    user_id: 'user_1',
    scope: 'query_only',
    status: 'active',
    created_at: NOW,
    updated_at: NOW,
    expires_at: NOW + 86_400_000,
    revoked_at: null,
    revoke_reason: null,
    previous_key_hash: null,
    previous_key_expires_at: null,
    last_used: null,
    usage_count: 0,
    rate_limit: 100,
    rate_window: 3600,
    metadata: null,
    last_position: 1,
    last_usage_position: 0,
    ...overrides,
  };
}

/** A verifier over one stored key, counting the projection lookups and the uses it records. */
function verifierWith(stored: ApiKeyRow[]) {
  const lookups: string[] = [];
  const uses: unknown[] = [];
  const queries = {
    byHash: (h: string) => {
      lookups.push(h);
      return stored.find((r) => r.key_hash === h || r.previous_key_hash === h);
    },
  } as unknown as KeyQueries;
  const store = { recordUsage: (use: unknown) => void uses.push(use) } as unknown as EventStore;
  const verify = keyVerifier({
    store,
    queries,
    cache: keyCache(),
    hash,
    keyLimiter: rateLimiter(() => NOW),
    ipLimiter: rateLimiter(() => NOW),
    failedLimit: { limit: 100, windowSeconds: 60 },
    clock: () => NOW,
  });
  const call = (key: string) =>
    verify({ key, endpoint: '/query', ip: '127.0.0.1', userAgent: 'test', requestId: null }).output;
  return { call, lookups, uses };
}

describe('verifyKey', () => {
  const { plaintext } = generateKey('rag');

  it('answers a stored key from the projection once, then from the cache, the same each time', () => {
    const { call, lookups, uses } = verifierWith([row(plaintext)]);
    const first = call(plaintext);
    const second = call(plaintext);
    expect(first).toMatchObject({ valid: true, code: 'VALID', key_id: 'key_1', scope: 'query_only' });
    expect(first.expires_at).toBe(new Date(NOW + 86_400_000).toISOString());
    expect({ ...second, ratelimit: null }).toEqual({ ...first, ratelimit: null });
    expect(second.ratelimit?.remaining).toBe(98);
    expect(lookups).toHaveLength(1);
    expect(uses).toHaveLength(2);
  });

  it('refuses a mistyped or overlong key as MALFORMED without a lookup or a recorded use', () => {
    const { call, lookups, uses } = verifierWith([row(plaintext)]);
    const typo = plaintext.slice(0, -1) + (plaintext.endsWith('a') ? 'b' : 'a');
    for (const key of [typo, `${plaintext}x`, 'x'.repeat(65), '']) {
      expect(call(key)).toMatchObject({ valid: false, code: 'MALFORMED', key_id: null });
    }
    expect(lookups).toEqual([]);
    expect(uses).toEqual([]);
  });

  it('looks an unknown well-formed key up once, then remembers that it does not exist', () => {
    const { call, lookups } = verifierWith([row(plaintext)]);
    const unknown = generateKey('rag').plaintext;
    expect(call(unknown).code).toBe('NOT_FOUND');
    expect(call(unknown).code).toBe('NOT_FOUND');
    expect(lookups).toHaveLength(1);
  });
});
