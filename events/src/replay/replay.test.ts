import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkProjections,
  createEventStore,
  keyStreamId,
  openDatabase,
  rebuildProjections,
  userStreamId,
  type EventStore,
} from '../index.js';
import {
  DAY,
  HOUR,
  keyCreated,
  keyRegenerated,
  keyRevoked,
  keyUpdated,
  keyUse,
  projectionSnapshot,
  tempDir,
  userRegistered,
} from '../testing/fixtures.js';

/** Tables and indexes with their definitions; SQLite quotes a renamed table's name in its SQL. */
const schemaObjects = (db: BetterSqlite3.Database) =>
  (
    db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all() as {
      sql: string | null;
    }[]
  ).map((o) => ({ ...o, sql: o.sql?.replace(/^CREATE TABLE "(\w+)"/, 'CREATE TABLE $1') }));

describe('replay', () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let store: EventStore;
  let now: number;

  beforeEach(() => {
    dir = tempDir();
    path = join(dir.path, 'log.db');
    now = Date.UTC(2025, 0, 1);
    store = createEventStore({ path, clock: () => now, usageRetentionDays: 30 });
    store.append(userStreamId('u1'), 'no_stream', [userRegistered('u1', 'alice')]);
    for (const k of ['k1', 'k2', 'k3']) store.append(keyStreamId(k), 'no_stream', [keyCreated(k)]);
    // Sixty days of uses, half of them past the retention period by the end.
    for (let day = 0; day < 60; day++) {
      for (let i = 0; i < 3; i++) {
        store.recordUsage(
          keyUse(`k${(i % 3) + 1}`, { endpoint: i ? '/query' : '/ingest', success: i !== 2 }),
        );
      }
      store.flush();
      now += DAY + HOUR;
    }
    store.append(keyStreamId('k1'), 1, [keyUpdated('k1', { description: 'docs' })]);
    store.append(keyStreamId('k2'), 1, [keyRegenerated('k2', 'hash-k2-b', now + HOUR)]);
    store.append(keyStreamId('k3'), 1, [keyRevoked('k3', 'leaked')]);
    store.pruneUsageLogs();
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  const options = () => ({ usageLogCutoff: store.usageLogCutoff(), batchSize: 7 });

  it('finds no difference between live projections and a full replay', () => {
    const report = checkProjections(store.db, options());
    expect(report.differences).toEqual([]);
    expect(report.events).toBe(4 + 180 + 3);
  });

  it('lists each planted difference: a changed row, a missing row, an extra row', () => {
    store.db.prepare("UPDATE api_keys SET usage_count = usage_count + 1 WHERE key_id = 'k1'").run();
    store.db
      .prepare("DELETE FROM key_usage_rollups WHERE granularity = 'day' AND endpoint = '/ingest'")
      .run();
    store.db
      .prepare("INSERT INTO users SELECT 'u2', 'mallory', password_hash, 'admin', 0, NULL, 99 FROM users")
      .run();
    const { differences } = checkProjections(store.db, options());
    expect(differences.filter((d) => d.table === 'api_keys')).toEqual([
      expect.objectContaining({ kind: 'changed', key: { key_id: 'k1' } }),
    ]);
    const changed = differences.find((d) => d.table === 'api_keys');
    expect((changed?.live as { usage_count: number }).usage_count).toBe(
      (changed?.replayed as { usage_count: number }).usage_count + 1,
    );
    expect(differences.filter((d) => d.table === 'key_usage_rollups')).toHaveLength(60);
    expect(
      differences.filter((d) => d.table === 'key_usage_rollups').every((d) => d.kind === 'missing'),
    ).toBe(true);
    expect(differences.filter((d) => d.table === 'users')).toEqual([
      expect.objectContaining({ kind: 'extra', key: { user_id: 'u2' }, replayed: null }),
    ]);
  });

  it('ignores raw usage rows past retention, pruned or not, but not a missing row inside it', () => {
    now += 10 * DAY; // more rows fall out of retention, unpruned
    expect(checkProjections(store.db, options()).differences).toEqual([]);
    store.db.prepare('DELETE FROM key_usage_logs WHERE id = (SELECT max(id) FROM key_usage_logs)').run();
    expect(checkProjections(store.db, options()).differences).toMatchObject([
      { table: 'key_usage_logs', kind: 'missing' },
    ]);
  });

  it('rebuilds tables equal to the live ones, with the same indexes, and leaves no replay table behind', () => {
    const before = projectionSnapshot(store.db);
    const schema = schemaObjects(store.db);
    const report = rebuildProjections(store.db, options());
    expect(report.events).toBe(187);
    expect(projectionSnapshot(store.db)).toEqual(before);
    expect(schemaObjects(store.db)).toEqual(schema);
  });

  it('repairs drifted tables by rebuilding them, and the store keeps writing to the new tables', () => {
    const before = projectionSnapshot(store.db);
    store.db.exec("UPDATE api_keys SET status = 'active' WHERE key_id = 'k3'; DELETE FROM users");
    rebuildProjections(store.db, options());
    expect(projectionSnapshot(store.db)).toEqual(before);
    store.append(keyStreamId('k4'), 'no_stream', [keyCreated('k4')]);
    store.recordUsage(keyUse('k4'));
    store.flush();
    expect(store.db.prepare("SELECT usage_count FROM api_keys WHERE key_id = 'k4'").pluck().get()).toBe(1);
    expect(checkProjections(store.db, options()).differences).toEqual([]);
  });

  it('misses no event appended by another connection while a rebuild runs', () => {
    const replayer = openDatabase(path);
    try {
      let appended = 0;
      rebuildProjections(replayer, {
        ...options(),
        onProgress: () => {
          appended++;
          store.append(keyStreamId(`late${appended}`), 'no_stream', [keyCreated(`late${appended}`)]);
          store.recordUsage(keyUse('k1'));
          store.flush();
        },
      });
      expect(appended).toBeGreaterThan(20);
      expect(store.db.prepare("SELECT count(*) FROM api_keys WHERE key_id LIKE 'late%'").pluck().get()).toBe(
        appended,
      );
      expect(checkProjections(replayer, options()).differences).toEqual([]);
    } finally {
      replayer.close();
    }
  });

  it('reports no drift for events appended by another connection while a check runs', () => {
    const checker = openDatabase(path);
    try {
      let appended = 0;
      const report = checkProjections(checker, {
        ...options(),
        onProgress: () => {
          appended++;
          store.recordUsage(keyUse('k2'));
          store.flush();
        },
      });
      expect(appended).toBeGreaterThan(20);
      expect(report.differences).toEqual([]);
    } finally {
      checker.close();
    }
  });

  it('checks through a read-only connection, writing nothing to the database', () => {
    const size = store.db.prepare('PRAGMA page_count').pluck().get();
    const reader = openDatabase(path, { readonly: true });
    try {
      expect(checkProjections(reader, options()).differences).toEqual([]);
    } finally {
      reader.close();
    }
    expect(
      store.db.prepare("SELECT count(*) FROM sqlite_master WHERE name LIKE 'replay_%'").pluck().get(),
    ).toBe(0);
    expect(store.db.prepare('PRAGMA page_count').pluck().get()).toBe(size);
  });
});
