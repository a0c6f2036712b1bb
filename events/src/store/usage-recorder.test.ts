import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkProjections,
  createEventStore,
  keyStreamId,
  keyUsageStreamId,
  type EventStore,
} from '../index.js';
import { DAY, keyCreated, keyUse, tempDir } from '../testing/fixtures.js';

const count = (store: EventStore, sql: string) => store.db.prepare(sql).pluck().get() as number;
const usesInLog = (store: EventStore) => count(store, "SELECT count(*) FROM events WHERE type = 'key.used'");
const usesInRollups = (store: EventStore) =>
  count(
    store,
    "SELECT coalesce(sum(successes + failures), 0) FROM key_usage_rollups WHERE granularity = 'hour'",
  );

function storeWithKeys(options: Parameters<typeof createEventStore>[0], keys = ['k1', 'k2']): EventStore {
  const store = createEventStore(options);
  for (const k of keys) store.append(keyStreamId(k), 'no_stream', [keyCreated(k)]);
  return store;
}

describe('group commit of uses', () => {
  let store: EventStore;
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => {
    vi.useRealTimers();
    if (store?.db.open) store.close();
    dir?.remove();
    dir = undefined;
  });

  it('counts buffered uses in the log, the key row and the rollups after flush', () => {
    store = storeWithKeys({ path: ':memory:', clock: () => 5_000, usage: { flushIntervalMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      store.recordUsage(keyUse('k1', { success: i > 0, error_code: i > 0 ? null : 'RATE_LIMITED' }));
    }
    expect(usesInLog(store)).toBe(0);
    expect(store.usageStats()).toEqual({ buffered: 3, written: 0, dropped: 0 });
    expect(store.flush()).toBe(3);
    expect(usesInLog(store)).toBe(3);
    expect(store.db.prepare("SELECT usage_count, last_used FROM api_keys WHERE key_id = 'k1'").get()).toEqual(
      {
        usage_count: 3,
        last_used: 5_000,
      },
    );
    expect(
      store.db
        .prepare("SELECT successes, failures, rate_limited FROM key_usage_rollups WHERE granularity = 'day'")
        .get(),
    ).toEqual({ successes: 2, failures: 1, rate_limited: 1 });
    expect(store.usageStats()).toEqual({ buffered: 0, written: 3, dropped: 0 });
  });

  it('writes each key’s uses to its own usage stream, in order, one stream position after another', () => {
    store = storeWithKeys({ path: ':memory:', usage: { flushIntervalMs: 60_000 } });
    for (let i = 0; i < 5; i++) store.recordUsage(keyUse(i % 2 ? 'k2' : 'k1', { endpoint: `/e${i}` }));
    store.flush();
    store.recordUsage(keyUse('k1', { endpoint: '/e5' }));
    store.flush();
    expect(store.readStream(keyUsageStreamId('k1')).map((e) => [e.stream_position, e.data])).toEqual([
      [1, keyUse('k1', { endpoint: '/e0' })],
      [2, keyUse('k1', { endpoint: '/e2' })],
      [3, keyUse('k1', { endpoint: '/e4' })],
      [4, keyUse('k1', { endpoint: '/e5' })],
    ]);
    expect(store.streamVersion(keyUsageStreamId('k2'))).toBe(2);
    expect(store.streamVersion(keyStreamId('k1'))).toBe(1);
  });

  it('flushes by itself within the flush interval, and at once when a batch is full', () => {
    vi.useFakeTimers();
    store = storeWithKeys({ path: ':memory:', usage: { flushIntervalMs: 20, maxBatch: 4 } });
    store.recordUsage(keyUse('k1'));
    vi.advanceTimersByTime(19);
    expect(usesInLog(store)).toBe(0);
    vi.advanceTimersByTime(1);
    expect(usesInLog(store)).toBe(1);
    for (let i = 0; i < 4; i++) store.recordUsage(keyUse('k1'));
    expect(usesInLog(store)).toBe(5);
  });

  it('drains the buffer on close', () => {
    dir = tempDir();
    const path = join(dir.path, 'log.db');
    store = storeWithKeys({ path, usage: { flushIntervalMs: 60_000 } });
    for (let i = 0; i < 7; i++) store.recordUsage(keyUse('k2'));
    store.close();
    store = createEventStore({ path });
    expect(usesInLog(store)).toBe(7);
    expect(usesInRollups(store)).toBe(7);
  });

  it('refuses uses after close', () => {
    store = storeWithKeys({ path: ':memory:' });
    store.close();
    expect(() => store.recordUsage(keyUse('k1'))).toThrow(/closed/);
  });

  it('refuses a malformed use at once instead of letting it fail a whole batch later', () => {
    store = storeWithKeys({ path: ':memory:' });
    const bad = { ...keyUse('k1'), endpoint: null } as unknown as ReturnType<typeof keyUse>;
    expect(() => store.recordUsage(bad)).toThrow(TypeError);
    expect(() => store.recordUsage(keyUse('k1'), { ip: 'x'.repeat(1000) })).toThrow();
    expect(store.usageStats().buffered).toBe(0);
  });

  it('stores a copy of the use, without extra fields, unchanged by later mutation of the caller’s object', () => {
    store = storeWithKeys({ path: ':memory:', usage: { flushIntervalMs: 60_000 } });
    const use = { ...keyUse('k1'), secret: 'rag_do_not_store' };
    store.recordUsage(use);
    use.endpoint = '/changed';
    store.flush();
    const stored = store.db
      .prepare("SELECT data FROM events WHERE type = 'key.used'")
      .pluck()
      .get() as string;
    expect(JSON.parse(stored)).toEqual(keyUse('k1'));
  });

  it('writes uses recorded inside a transaction right after it, never inside it', () => {
    vi.useFakeTimers();
    store = storeWithKeys({ path: ':memory:', usage: { maxBatch: 2, flushIntervalMs: 60_000 } });
    expect(() =>
      store.transaction(() => {
        store.recordUsage(keyUse('k1'));
        store.recordUsage(keyUse('k1')); // a full batch: its flush must wait for the transaction
        expect(store.flush()).toBe(0);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(store.usageStats().buffered).toBe(2);
    vi.advanceTimersByTime(0);
    expect(usesInLog(store)).toBe(2);
  });

  it('keeps uses buffered while the disk is full, and writes them all once there is room', () => {
    dir = tempDir();
    const errors: unknown[] = [];
    store = storeWithKeys({
      path: join(dir.path, 'log.db'),
      usage: { flushIntervalMs: 60_000, retryIntervalMs: 60_000, onError: (e) => errors.push(e) },
    });
    const pages = count(store, 'PRAGMA page_count');
    store.db.pragma(`max_page_count = ${pages}`);
    for (let i = 0; i < 500; i++)
      store.recordUsage(keyUse(i % 2 ? 'k1' : 'k2', { user_agent: 'x'.repeat(200) }));
    expect(store.flush()).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SQLITE_FULL' });
    expect(store.usageStats()).toEqual({ buffered: 500, written: 0, dropped: 0 });
    expect(usesInLog(store)).toBe(0);
    expect(count(store, 'SELECT sum(usage_count) FROM api_keys')).toBe(0);
    // Lifecycle appends still get a clear error, not a half-written state.
    expect(() =>
      store.append(keyStreamId('k3'), 'no_stream', [keyCreated('k3', { description: 'x'.repeat(9000) })]),
    ).toThrow(/full/);

    store.db.pragma('max_page_count = 1000000');
    store.recordUsage(keyUse('k1'));
    expect(store.flush()).toBe(501);
    expect(usesInLog(store)).toBe(501);
    expect(usesInRollups(store)).toBe(501);
    expect(count(store, 'SELECT sum(usage_count) FROM api_keys')).toBe(501);
    expect(checkProjections(store.db, { usageLogCutoff: store.usageLogCutoff() }).differences).toEqual([]);
  });

  it('keeps uses buffered while the database is read-only, retries on its own, and writes them in order', () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    store = storeWithKeys({
      path: ':memory:',
      usage: { flushIntervalMs: 5, maxBatch: 2, retryIntervalMs: 100, onError: (e) => errors.push(e) },
    });
    store.db.pragma('query_only = ON');
    store.recordUsage(keyUse('k1', { endpoint: '/e0' }));
    store.recordUsage(keyUse('k1', { endpoint: '/e1' })); // a full batch: flushes at once, and fails
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SQLITE_READONLY' });
    // Failing, it waits for the retry rather than running a doomed transaction on every use.
    for (let i = 2; i < 6; i++) store.recordUsage(keyUse('k1', { endpoint: `/e${i}` }));
    vi.advanceTimersByTime(99);
    expect(errors).toHaveLength(1);
    expect(store.usageStats().buffered).toBe(6);
    vi.advanceTimersByTime(1);
    expect(errors).toHaveLength(2);
    store.db.pragma('query_only = OFF');
    vi.advanceTimersByTime(100);
    expect(store.usageStats()).toMatchObject({ buffered: 0, written: 6 });
    expect(
      store.readStream(keyUsageStreamId('k1')).map((e) => (e.type === 'key.used' ? e.data.endpoint : e.type)),
    ).toEqual(['/e0', '/e1', '/e2', '/e3', '/e4', '/e5']);
  });

  it('drops and counts uses beyond maxBuffered while writes fail', () => {
    store = storeWithKeys({
      path: ':memory:',
      usage: { flushIntervalMs: 60_000, retryIntervalMs: 60_000, maxBuffered: 5, onError: () => {} },
    });
    store.db.pragma('query_only = ON');
    for (let i = 0; i < 8; i++) store.recordUsage(keyUse('k1'));
    expect(store.usageStats()).toEqual({ buffered: 5, written: 0, dropped: 3 });
    store.db.pragma('query_only = OFF');
    expect(store.flush()).toBe(5);
  });

  it('throws from close when buffered uses cannot be written, and stays open so that close can retry', () => {
    store = storeWithKeys({ path: ':memory:', usage: { flushIntervalMs: 60_000, onError: () => {} } });
    store.recordUsage(keyUse('k1'));
    store.db.pragma('query_only = ON');
    expect(() => store.close()).toThrow(/1 buffered uses could not be written/);
    expect(store.db.open).toBe(true);
    store.db.pragma('query_only = OFF');
    store.close();
    expect(store.db.open).toBe(false);
  });

  it('runs lifecycle appends at synchronous=FULL, whatever a usage flush set before', () => {
    dir = tempDir();
    store = storeWithKeys({ path: join(dir.path, 'log.db') });
    store.recordUsage(keyUse('k1'));
    store.flush();
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    store.db.pragma('query_only = ON');
    store.recordUsage(keyUse('k1'));
    store.flush();
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    store.db.pragma('query_only = OFF');
  });

  it('does not count a use of a key that does not exist, but keeps it in the log', () => {
    store = storeWithKeys({ path: ':memory:' });
    store.recordUsage(keyUse('ghost'));
    store.flush();
    expect(usesInLog(store)).toBe(1);
    expect(usesInRollups(store)).toBe(0);
  });

  it('logs raw uses only inside the retention period, prunes them as time passes, and keeps the rollups', () => {
    let now = Date.UTC(2025, 0, 1);
    store = storeWithKeys({ path: ':memory:', clock: () => now, usageRetentionDays: 2 });
    for (let day = 0; day < 5; day++) {
      store.recordUsage(keyUse('k1'));
      store.flush();
      now += DAY;
    }
    // Five uses a day apart; retention keeps the two days before now (the first two are past it).
    expect(count(store, 'SELECT count(*) FROM key_usage_logs')).toBe(5);
    expect(store.pruneUsageLogs()).toBe(3);
    expect(store.db.prepare('SELECT timestamp FROM key_usage_logs ORDER BY id').pluck().all()).toEqual([
      Date.UTC(2025, 0, 4),
      Date.UTC(2025, 0, 5),
    ]);
    expect(usesInRollups(store)).toBe(5);
    expect(checkProjections(store.db, { usageLogCutoff: store.usageLogCutoff() }).differences).toEqual([]);
    expect(store.pruneUsageLogs()).toBe(0);
  });
});
