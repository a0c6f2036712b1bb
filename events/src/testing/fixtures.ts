// Builders and table snapshots shared by the events package's tests. Not part of the build.
import type { Database } from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyScope, KeyUsedData, NewEvent } from '../catalogue/index.js';
import { LIVE_TABLES, PRIMARY_KEYS, type ProjectionTables } from '../projections/tables.js';

type EventOf<T extends NewEvent['type']> = Extract<NewEvent, { type: T }>;

export function keyCreated(
  keyId: string,
  overrides: Partial<EventOf<'key.created'>['data']> = {},
): EventOf<'key.created'> {
  return {
    type: 'key.created',
    data: {
      key_id: keyId,
      user_id: 'u1',
      name: `key ${keyId}`,
      description: null,
      scope: 'query_only' as KeyScope,
      key_hash: `hash-${keyId}`,
      key_prefix: 'rag_abcd',
      expires_at: null,
      rate_limit: 100,
      rate_window: 3600,
      metadata: null,
      ...overrides,
    },
  };
}

export const keyUpdated = (
  keyId: string,
  change: { name?: string; description?: string | null },
): EventOf<'key.updated'> => ({ type: 'key.updated', data: { key_id: keyId, ...change } });

export const keyRevoked = (keyId: string, reason: string | null = null): EventOf<'key.revoked'> => ({
  type: 'key.revoked',
  data: { key_id: keyId, reason },
});

export const keyRegenerated = (
  keyId: string,
  keyHash: string,
  previousKeyExpiresAt: number | null = null,
): EventOf<'key.regenerated'> => ({
  type: 'key.regenerated',
  data: {
    key_id: keyId,
    key_hash: keyHash,
    key_prefix: 'rag_efgh',
    previous_key_expires_at: previousKeyExpiresAt,
  },
});

export const keyUse = (keyId: string, overrides: Partial<KeyUsedData> = {}): KeyUsedData => ({
  key_id: keyId,
  endpoint: '/query',
  ip: '127.0.0.1',
  user_agent: 'test',
  success: true,
  error_code: null,
  ...overrides,
});

export const userRegistered = (
  userId: string,
  username = userId,
  role: 'user' | 'admin' = 'user',
): EventOf<'user.registered'> => ({
  type: 'user.registered',
  data: { user_id: userId, username, password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', role },
});

/** A directory under the system's temp dir, removed by the returned function. */
export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'keyledger-events-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Every row of a table, in primary-key order, so that two snapshots compare with `toEqual`. */
export function tableRows(db: Database, table: string, name: keyof ProjectionTables): unknown[] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY ${PRIMARY_KEYS[name].join(', ')}`).all();
}

/** The four projection tables' rows. */
export function projectionSnapshot(db: Database, tables: ProjectionTables = LIVE_TABLES) {
  return {
    apiKeys: tableRows(db, tables.apiKeys, 'apiKeys'),
    users: tableRows(db, tables.users, 'users'),
    usageLogs: tableRows(db, tables.usageLogs, 'usageLogs'),
    usageRollups: tableRows(db, tables.usageRollups, 'usageRollups'),
  };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
