import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStore, keyStreamId, keyUsageStreamId, userStreamId, type EventStore } from '../index.js';
import { keyCreated, keyRevoked, keyUse, tempDir, userRegistered } from '../testing/fixtures.js';

describe('append', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it('appends a lifecycle event and projects it before append returns', () => {
    let now = 1_000;
    store = createEventStore({ path: ':memory:', clock: () => now });
    const created = store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')], {
      actor: { type: 'user', id: 'u1' },
      request_id: 'req-1',
    });
    expect(created).toMatchObject({ ok: true, positions: [1], streamVersion: 1 });
    now = 2_000;
    const revoked = store.append(keyStreamId('k1'), 1, [keyRevoked('k1', 'leaked')]);
    expect(revoked).toMatchObject({ ok: true, positions: [2], streamVersion: 2 });
    expect(
      store.db.prepare('SELECT status, revoked_at, last_position FROM api_keys WHERE key_id = ?').get('k1'),
    ).toEqual({ status: 'revoked', revoked_at: 2_000, last_position: 2 });
  });

  it('returns the positions and the stored events, with metadata, data and a chain hash', () => {
    store = createEventStore({ path: ':memory:', clock: () => 5 });
    store.append(userStreamId('u1'), 'no_stream', [userRegistered('u1')]);
    const result = store.append(
      keyStreamId('k1'),
      'no_stream',
      [keyCreated('k1'), keyRevoked('k1', 'test')],
      { actor: { type: 'user', id: 'u1', username: 'alice' }, ip: '10.0.0.1' },
    );
    if (!result.ok) throw new Error('expected the append to succeed');
    expect(result.positions).toEqual([2, 3]);
    expect(result.events.map((e) => [e.stream_position, e.type, e.recorded_at])).toEqual([
      [1, 'key.created', 5],
      [2, 'key.revoked', 5],
    ]);
    expect(result.events[1]?.metadata).toEqual({
      actor: { type: 'user', id: 'u1', username: 'alice' },
      ip: '10.0.0.1',
    });
    expect(store.readStream(keyStreamId('k1'))).toEqual(result.events);
  });

  it('rejects a new stream whose name is taken with VERSION_CONFLICT and writes nothing', () => {
    store = createEventStore({ path: ':memory:' });
    store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    const second = store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1', { name: 'other' })]);
    expect(second).toEqual({
      ok: false,
      error: 'VERSION_CONFLICT',
      streamId: 'key-k1',
      expected: 'no_stream',
      actual: 1,
    });
    expect(store.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    expect(store.db.prepare('SELECT name FROM api_keys').pluck().get()).toBe('key k1');
  });

  it('lets exactly one of two appends at the same expected version win', () => {
    store = createEventStore({ path: ':memory:' });
    store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    const first = store.append(keyStreamId('k1'), 1, [keyRevoked('k1', 'a')]);
    const second = store.append(keyStreamId('k1'), 1, [keyRevoked('k1', 'b')]);
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, error: 'VERSION_CONFLICT', expected: 1, actual: 2 });
  });

  it('rejects an exact expected version on a stream that does not exist yet', () => {
    store = createEventStore({ path: ':memory:' });
    expect(store.append(keyStreamId('k1'), 1, [keyCreated('k1')])).toMatchObject({
      ok: false,
      error: 'VERSION_CONFLICT',
      actual: 0,
    });
    expect(store.append(keyStreamId('k1'), 0, [keyCreated('k1')])).toMatchObject({ ok: true });
  });

  it('rejects data its schema does not accept, and writes nothing', () => {
    store = createEventStore({ path: ':memory:' });
    const bad = keyCreated('k1');
    (bad.data as { rate_limit: unknown }).rate_limit = -1;
    expect(() => store.append(keyStreamId('k1'), 'no_stream', [bad])).toThrow();
    expect(store.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
  });

  it("refuses a key's event in another stream than the key's own", () => {
    store = createEventStore({ path: ':memory:' });
    expect(() => store.append(keyStreamId('k2'), 'no_stream', [keyCreated('k1')])).toThrow(
      /belongs in stream key-k1/,
    );
    expect(() => store.append(keyStreamId('k1'), 'any', [{ type: 'key.used', data: keyUse('k1') }])).toThrow(
      /key-usage-k1/,
    );
    expect(store.append(keyUsageStreamId('k1'), 'any', [{ type: 'key.used', data: keyUse('k1') }]).ok).toBe(
      true,
    );
  });

  it('refuses a creation event anywhere but at the start of its stream', () => {
    store = createEventStore({ path: ':memory:' });
    store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    expect(() => store.append(keyStreamId('k1'), 'any', [keyCreated('k1')])).toThrow(/must open its stream/);
    expect(() =>
      store.append(userStreamId('u1'), 'no_stream', [userRegistered('u1'), userRegistered('u1')]),
    ).toThrow(/must open its stream/);
    expect(store.readAll()).toHaveLength(1);
  });

  it('commits appends made inside transaction() together, or not at all', () => {
    store = createEventStore({ path: ':memory:' });
    store.transaction(() => {
      store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
      store.append(keyStreamId('k2'), 'no_stream', [keyCreated('k2')]);
    });
    expect(() =>
      store.transaction(() => {
        store.append(keyStreamId('k3'), 'no_stream', [keyCreated('k3')]);
        throw new Error('the caller changed its mind');
      }),
    ).toThrow('changed its mind');
    expect(store.db.prepare('SELECT key_id FROM api_keys ORDER BY key_id').pluck().all()).toEqual([
      'k1',
      'k2',
    ]);
    expect(store.streamVersion(keyStreamId('k3'))).toBe(0);
  });
});

describe('append from two connections to one database file', () => {
  let dir: ReturnType<typeof tempDir>;
  let a: EventStore;
  let b: EventStore;

  beforeEach(() => {
    dir = tempDir();
    a = createEventStore({ path: join(dir.path, 'log.db'), busyTimeoutMs: 50 });
    b = createEventStore({ path: join(dir.path, 'log.db'), busyTimeoutMs: 50 });
  });
  afterEach(() => {
    a.close();
    b.close();
    dir.remove();
  });

  it('lets exactly one of two connections create the same stream', () => {
    const first = a.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    const second = b.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1', { name: 'theirs' })]);
    expect([first.ok, second.ok]).toEqual([true, false]);
    expect(second).toMatchObject({ error: 'VERSION_CONFLICT', actual: 1 });
    expect(b.db.prepare('SELECT name FROM api_keys').pluck().all()).toEqual(['key k1']);
  });

  it('makes a writer wait for the lock, never overwrite: busy, then a conflict on retry', () => {
    a.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    let fromA: unknown;
    b.transaction(() => {
      expect(b.append(keyStreamId('k1'), 1, [keyRevoked('k1', 'by b')]).ok).toBe(true);
      // b holds the write lock until its transaction commits: a cannot slip in at version 1.
      try {
        a.append(keyStreamId('k1'), 1, [keyRevoked('k1', 'by a')]);
      } catch (error) {
        fromA = error;
      }
    });
    expect(fromA).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(a.append(keyStreamId('k1'), 1, [keyRevoked('k1', 'by a')])).toMatchObject({
      ok: false,
      error: 'VERSION_CONFLICT',
      actual: 2,
    });
    expect(a.db.prepare('SELECT revoke_reason FROM api_keys').pluck().get()).toBe('by b');
  });

  it('chains hashes across connections', async () => {
    const { verifyChain } = await import('./chain.js');
    a.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    b.append(keyStreamId('k2'), 'no_stream', [keyCreated('k2')]);
    a.append(keyStreamId('k3'), 'no_stream', [keyCreated('k3')]);
    expect(verifyChain(b.db)).toMatchObject({ ok: true, events: 3 });
  });
});

describe('the log is append-only', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it('refuses UPDATE and DELETE on events, through any connection', () => {
    const dir = tempDir();
    try {
      store = createEventStore({ path: join(dir.path, 'log.db') });
      store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
      const raw = new BetterSqlite3(join(dir.path, 'log.db'));
      try {
        expect(() => raw.prepare("UPDATE events SET data = '{}' WHERE position = 1").run()).toThrow(
          /append-only/,
        );
        expect(() => raw.prepare('DELETE FROM events WHERE position = 1').run()).toThrow(/append-only/);
        expect(() => store.db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
        expect(() => store.db.prepare('UPDATE events SET recorded_at = 0').run()).toThrow(/append-only/);
      } finally {
        raw.close();
      }
      expect(store.readAll()).toHaveLength(1);
    } finally {
      store.close();
      dir.remove();
    }
  });
});
