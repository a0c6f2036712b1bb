import BetterSqlite3, { type Database } from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KeyUsedData, NewEvent } from '../catalogue/index.js';
import { createSchema } from '../store/schema.js';
import type { ProjectedEvent } from '../store/recorded-event.js';
import {
  DAY,
  HOUR,
  keyCreated,
  keyRegenerated,
  keyRevoked,
  keyUpdated,
  keyUse,
  projectionSnapshot,
  userRegistered,
} from '../testing/fixtures.js';
import { createProjector } from './projector.js';
import { LIVE_TABLES } from './tables.js';

// Given/when/then over the projector alone: events are made by hand with positions and times, applied,
// and applied a second time, which must change nothing.

const T0 = Date.UTC(2025, 5, 1, 10, 30);

type Given = (NewEvent | { type: 'key.used'; data: KeyUsedData }) & { at?: number };

function recorded(events: Given[]): ProjectedEvent[] {
  return events.map(
    (e, i) =>
      ({ position: i + 1, recorded_at: e.at ?? T0 + i, type: e.type, data: e.data }) as ProjectedEvent,
  );
}

describe('projections', () => {
  let db: Database;
  let cutoff: number;

  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    createSchema(db);
    cutoff = 0;
  });

  /** Applies the events, then applies them again and checks that nothing changed. */
  function given(events: Given[]) {
    const projector = createProjector(db, LIVE_TABLES, { usageLogCutoff: () => cutoff });
    const all = recorded(events);
    projector.applyAll(all);
    const once = projectionSnapshot(db);
    projector.applyAll(all);
    expect(projectionSnapshot(db)).toEqual(once);
    // Applied one at a time, in separate runs, they come to the same tables too.
    for (const e of all) projector.applyAll([e]);
    expect(projectionSnapshot(db)).toEqual(once);
    return once;
  }

  const key = (keyId: string) => db.prepare('SELECT * FROM api_keys WHERE key_id = ?').get(keyId);

  it('creates an active key row with no uses', () => {
    given([{ ...keyCreated('k1', { expires_at: T0 + DAY, metadata: { team: 'search' } }), at: T0 }]);
    expect(key('k1')).toMatchObject({
      status: 'active',
      created_at: T0,
      expires_at: T0 + DAY,
      usage_count: 0,
      last_used: null,
      metadata: '{"team":"search"}',
      last_position: 1,
    });
  });

  it('changes only the name and description on key.updated, and keeps a description on name-only updates', () => {
    given([
      keyCreated('k1', { description: 'first' }),
      keyUpdated('k1', { name: 'renamed' }),
      keyUpdated('k1', { description: null }),
      keyUpdated('k1', { description: 'second' }),
      keyUpdated('k1', { name: 'final' }),
    ]);
    expect(key('k1')).toMatchObject({ name: 'final', description: 'second', scope: 'query_only' });
  });

  it('keeps the first revocation time and reason when a key is revoked twice', () => {
    given([
      keyCreated('k1'),
      { ...keyRevoked('k1', 'leaked'), at: T0 + 10 },
      { ...keyRevoked('k1', 'again'), at: T0 + 20 },
    ]);
    expect(key('k1')).toMatchObject({ status: 'revoked', revoked_at: T0 + 10, revoke_reason: 'leaked' });
  });

  it('keeps the previous secret through a regeneration grace period, and drops it on revocation', () => {
    given([keyCreated('k1', { key_hash: 'h1' }), keyRegenerated('k1', 'h2', T0 + HOUR)]);
    expect(key('k1')).toMatchObject({
      key_hash: 'h2',
      previous_key_hash: 'h1',
      previous_key_expires_at: T0 + HOUR,
    });
    given([keyRevoked('k1')].map((e) => ({ ...e, at: T0 + 5 })));
  });

  it('forgets the previous secret when a key is regenerated without a grace period or revoked', () => {
    given([
      keyCreated('k1', { key_hash: 'h1' }),
      keyRegenerated('k1', 'h2', T0 + HOUR),
      keyRegenerated('k1', 'h3'),
    ]);
    expect(key('k1')).toMatchObject({
      key_hash: 'h3',
      previous_key_hash: null,
      previous_key_expires_at: null,
    });
    db.exec('DELETE FROM api_keys');
    given([keyCreated('k1', { key_hash: 'h1' }), keyRegenerated('k1', 'h2', T0 + HOUR), keyRevoked('k1')]);
    expect(key('k1')).toMatchObject({ key_hash: 'h2', previous_key_hash: null, status: 'revoked' });
  });

  it('ignores lifecycle events of a key that was never created', () => {
    expect(given([keyRevoked('ghost'), keyUpdated('ghost', { name: 'x' })]).apiKeys).toEqual([]);
  });

  it('counts uses and keeps the latest use time, whatever order the times come in', () => {
    given([
      keyCreated('k1'),
      { type: 'key.used', data: keyUse('k1'), at: T0 + 500 },
      { type: 'key.used', data: keyUse('k1'), at: T0 + 900 },
      { type: 'key.used', data: keyUse('k1'), at: T0 + 700 },
    ]);
    expect(key('k1')).toMatchObject({ usage_count: 3, last_used: T0 + 900, last_usage_position: 4 });
  });

  it('does not count uses recorded before the key existed', () => {
    const tables = given([
      { type: 'key.used', data: keyUse('k1') },
      keyCreated('k1'),
      { type: 'key.used', data: keyUse('k1') },
    ]);
    expect(key('k1')).toMatchObject({ usage_count: 1, last_usage_position: 3 });
    expect(tables.usageLogs).toHaveLength(1);
  });

  it('keeps counting uses after lifecycle events of the same key', () => {
    given([
      keyCreated('k1'),
      { type: 'key.used', data: keyUse('k1') },
      keyUpdated('k1', { name: 'n' }),
      { type: 'key.used', data: keyUse('k1') },
      keyRevoked('k1'),
      { type: 'key.used', data: keyUse('k1', { success: false, error_code: 'REVOKED' }) },
    ]);
    expect(key('k1')).toMatchObject({ usage_count: 3, name: 'n', status: 'revoked', last_position: 5 });
  });

  it('logs each use with its position as id and adds it to hourly and daily rollups per endpoint', () => {
    const t = Date.UTC(2025, 5, 1, 23, 59, 59, 999);
    given([
      keyCreated('k1'),
      { type: 'key.used', data: keyUse('k1'), at: t },
      { type: 'key.used', data: keyUse('k1', { success: false, error_code: 'RATE_LIMITED' }), at: t },
      // One millisecond later is another UTC hour and another UTC day.
      { type: 'key.used', data: keyUse('k1', { endpoint: '/ingest' }), at: t + 1 },
      {
        type: 'key.used',
        data: keyUse('k1', { success: false, error_code: 'INSUFFICIENT_SCOPE' }),
        at: t + 1,
      },
    ]);
    expect(
      db.prepare('SELECT id, endpoint, timestamp, success, error_message FROM key_usage_logs').all(),
    ).toEqual([
      { id: 2, endpoint: '/query', timestamp: t, success: 1, error_message: null },
      { id: 3, endpoint: '/query', timestamp: t, success: 0, error_message: 'RATE_LIMITED' },
      { id: 4, endpoint: '/ingest', timestamp: t + 1, success: 1, error_message: null },
      { id: 5, endpoint: '/query', timestamp: t + 1, success: 0, error_message: 'INSUFFICIENT_SCOPE' },
    ]);
    const rollups = db
      .prepare(
        `SELECT granularity, bucket_start, endpoint, successes, failures, rate_limited FROM key_usage_rollups
         ORDER BY granularity, bucket_start, endpoint`,
      )
      .all();
    const day = Date.UTC(2025, 5, 1);
    const nextDay = Date.UTC(2025, 5, 2);
    expect(rollups).toEqual([
      {
        granularity: 'day',
        bucket_start: day,
        endpoint: '/query',
        successes: 1,
        failures: 1,
        rate_limited: 1,
      },
      {
        granularity: 'day',
        bucket_start: nextDay,
        endpoint: '/ingest',
        successes: 1,
        failures: 0,
        rate_limited: 0,
      },
      {
        granularity: 'day',
        bucket_start: nextDay,
        endpoint: '/query',
        successes: 0,
        failures: 1,
        rate_limited: 0,
      },
      {
        granularity: 'hour',
        bucket_start: day + 23 * HOUR,
        endpoint: '/query',
        successes: 1,
        failures: 1,
        rate_limited: 1,
      },
      {
        granularity: 'hour',
        bucket_start: nextDay,
        endpoint: '/ingest',
        successes: 1,
        failures: 0,
        rate_limited: 0,
      },
      {
        granularity: 'hour',
        bucket_start: nextDay,
        endpoint: '/query',
        successes: 0,
        failures: 1,
        rate_limited: 0,
      },
    ]);
  });

  it('counts uses older than the retention cut-off in the rollups but does not log them', () => {
    cutoff = T0 + 2;
    given([
      keyCreated('k1'),
      { type: 'key.used', data: keyUse('k1'), at: T0 + 1 },
      { type: 'key.used', data: keyUse('k1'), at: T0 + 2 },
    ]);
    expect(db.prepare('SELECT id FROM key_usage_logs').pluck().all()).toEqual([3]);
    expect(
      db.prepare("SELECT successes FROM key_usage_rollups WHERE granularity = 'day'").pluck().get(),
    ).toBe(2);
    expect(key('k1')).toMatchObject({ usage_count: 2 });
  });

  it('keeps users with their role and last sign-in, and ignores failed sign-ins of unknown usernames', () => {
    given([
      { ...userRegistered('u1', 'Alice'), at: T0 },
      { type: 'user.role_changed', data: { user_id: 'u1', role: 'admin' } },
      { type: 'user.signed_in', data: { user_id: 'u1' }, at: T0 + 50 },
      { type: 'user.sign_in_failed', data: { user_id: 'u1', username: 'Alice', reason: 'wrong_password' } },
      { type: 'user.sign_in_failed', data: { user_id: null, username: 'nobody', reason: 'unknown_user' } },
    ]);
    expect(db.prepare('SELECT * FROM users').all()).toEqual([
      {
        user_id: 'u1',
        username: 'Alice',
        password_hash: expect.stringMatching(/^\$argon2id\$/),
        role: 'admin',
        created_at: T0,
        last_sign_in_at: T0 + 50,
        last_position: 4,
      },
    ]);
  });

  it('leaves the tables untouched when a batch fails, and applies the next batch cleanly', () => {
    const projector = createProjector(db, LIVE_TABLES, { usageLogCutoff: () => 0 });
    projector.applyAll(recorded([keyCreated('k1'), keyCreated('k2', { key_hash: 'other' })]));
    const before = projectionSnapshot(db);
    const failing = db.transaction(() =>
      projector.applyAll([
        { position: 3, recorded_at: T0, type: 'key.used', data: keyUse('k1') },
        // Same hash as k1: the UNIQUE constraint on key_hash fails the batch after the use was gathered.
        {
          position: 4,
          recorded_at: T0,
          type: 'key.created',
          data: keyCreated('k3', { key_hash: 'hash-k1' }).data,
        },
      ]),
    );
    expect(() => failing()).toThrow(/UNIQUE/);
    expect(projectionSnapshot(db)).toEqual(before);
    projector.applyAll([{ position: 5, recorded_at: T0, type: 'key.used', data: keyUse('k2') }]);
    expect(key('k1')).toMatchObject({ usage_count: 0 });
    expect(key('k2')).toMatchObject({ usage_count: 1 });
  });
});
