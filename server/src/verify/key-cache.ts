import type { KeyScope } from '@keyledger/events/catalogue';
import { LRUCache } from 'lru-cache';
import type { VerificationRow } from '../keys/key-queries.js';

/** What verification needs of a key: a few fields, well under 1 KiB per key. */
export interface CachedKey {
  keyId: string;
  userId: string;
  scope: KeyScope;
  revoked: boolean;
  expiresAt: number | null;
  /** `expiresAt` as the answer shows it, made once rather than on every verification. */
  expiresAtIso: string | null;
  rateLimit: number;
  rateWindow: number;
  /** Set when this hash is the previous secret of a regenerated key: it works until then. */
  graceUntil: number | null;
}

export interface KeyCacheOptions {
  maxKeys?: number;
  maxUnknown?: number;
  /**
   * How long an entry is trusted. Lifecycle changes made by this process update the cache at once; this
   * bounds how late a change made by another process on the same database takes effect here.
   */
  ttlMs?: number;
}

export function cachedKeyFromRow(row: VerificationRow, hash: string): CachedKey {
  return {
    keyId: row.key_id,
    userId: row.user_id,
    scope: row.scope,
    revoked: row.status === 'revoked',
    expiresAt: row.expires_at,
    expiresAtIso: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    rateLimit: row.rate_limit,
    rateWindow: row.rate_window,
    graceUntil: row.key_hash === hash ? null : row.previous_key_expires_at,
  };
}

/** Key state by hash, and a bounded set of hashes known not to exist. */
export function keyCache(options: KeyCacheOptions = {}) {
  const ttl = options.ttlMs ?? 5_000;
  const known = new LRUCache<string, CachedKey>({
    max: options.maxKeys ?? 100_000,
    ttl,
    ttlAutopurge: false,
  });
  const unknown = new LRUCache<string, true>({ max: options.maxUnknown ?? 10_000, ttl, ttlAutopurge: false });
  return {
    get: (hash: string) => known.get(hash),
    isUnknown: (hash: string) => unknown.has(hash),
    set(hash: string, key: CachedKey): void {
      unknown.delete(hash);
      known.set(hash, key);
    },
    setUnknown: (hash: string) => void unknown.set(hash, true),
    /** Forgets every hash a key had, so the next verification reads the projection. */
    forget(...hashes: (string | null)[]): void {
      for (const h of hashes) {
        if (h === null) continue;
        known.delete(h);
        unknown.delete(h);
      }
    },
    size: () => known.size,
  };
}
export type KeyCache = ReturnType<typeof keyCache>;
