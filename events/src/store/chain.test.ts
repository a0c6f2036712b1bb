import BetterSqlite3, { type Database } from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, createEventStore, keyStreamId, userStreamId, verifyChain } from '../index.js';
import { keyCreated, keyRevoked, keyUpdated, keyUse, tempDir, userRegistered } from '../testing/fixtures.js';

const COLUMNS = [
  'stream_id',
  'stream_position',
  'event_id',
  'type',
  'schema_version',
  'data',
  'metadata',
  'recorded_at',
  'hash',
  'position',
] as const;

/** A changed value for a column that breaks no constraint. */
function altered(column: (typeof COLUMNS)[number], value: unknown): unknown {
  if (typeof value === 'number') return value + 1_000;
  if (column === 'data' || column === 'metadata') return (value as string).replace(/}$/, ',"x":1}');
  return `${value as string}x`;
}

describe('verifyChain', () => {
  const dir = tempDir();
  const path = join(dir.path, 'log.db');
  let raw: Database;
  let events: number;

  beforeAll(() => {
    let now = Date.UTC(2025, 0, 1);
    const store = createEventStore({ path, clock: () => now++ });
    store.append(userStreamId('u1'), 'no_stream', [userRegistered('u1')], {
      actor: { type: 'system', id: null },
    });
    store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')], { request_id: 'r1' });
    store.append(keyStreamId('k2'), 'no_stream', [keyCreated('k2')]);
    for (let i = 0; i < 4; i++) store.recordUsage(keyUse(i % 2 ? 'k1' : 'k2'));
    store.flush();
    store.append(keyStreamId('k1'), 1, [keyUpdated('k1', { name: 'renamed' }), keyRevoked('k1', 'done')]);
    store.recordUsage(keyUse('k2', { success: false, error_code: 'RATE_LIMITED' }));
    store.close();
    raw = new BetterSqlite3(path);
    // Tampering means going around the triggers, as someone with the file would.
    raw.exec('DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete');
    events = raw.prepare('SELECT count(*) FROM events').pluck().get() as number;
  });
  afterAll(() => {
    raw.close();
    dir.remove();
  });

  it('accepts an untouched log and names its head', () => {
    const last = raw.prepare('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1').get();
    expect(events).toBe(10);
    expect(verifyChain(raw)).toEqual({
      ok: true,
      events,
      head: (last as { hash: string }).hash,
      headPosition: 10,
    });
  });

  it('hashes each event over the previous hash and its own stored columns', () => {
    const rows = raw.prepare('SELECT * FROM events ORDER BY position').all() as Parameters<
      typeof chainHash
    >[1][];
    let previous = '0'.repeat(64);
    for (const row of rows) {
      expect((row as unknown as { hash: string }).hash).toBe(chainHash(previous, row));
      previous = chainHash(previous, row);
    }
  });

  it('reports any altered column of any event at that event’s position', () => {
    for (let position = 1; position <= events; position++) {
      for (const column of COLUMNS) {
        const original = raw.prepare(`SELECT ${column} FROM events WHERE position = ?`).pluck().get(position);
        const moved = column === 'position' ? (altered(column, original) as number) : position;
        raw
          .prepare(`UPDATE events SET ${column} = ? WHERE position = ?`)
          .run(altered(column, original), position);
        try {
          const result = verifyChain(raw);
          expect(result, `${column} of event ${position}`).toMatchObject({ ok: false, position });
        } finally {
          raw.prepare(`UPDATE events SET ${column} = ? WHERE position = ?`).run(original, moved);
        }
      }
    }
    expect(verifyChain(raw).ok).toBe(true);
  });

  it('reports a deleted event at its position, the first and the last included', () => {
    for (const position of [1, 5, events]) {
      const row = raw.prepare('SELECT * FROM events WHERE position = ?').get(position) as Record<
        string,
        unknown
      >;
      raw.prepare('DELETE FROM events WHERE position = ?').run(position);
      try {
        expect(verifyChain(raw), `event ${position} deleted`).toMatchObject({
          ok: false,
          position,
          reason: expect.stringMatching(/missing/),
        });
      } finally {
        const columns = Object.keys(row);
        raw
          .prepare(`INSERT INTO events (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
          .run(...Object.values(row));
      }
    }
    expect(verifyChain(raw).ok).toBe(true);
  });

  it('needs an anchored head to catch a log cut short by someone who also rewound the sequence', () => {
    const head = verifyChain(raw);
    if (!head.ok) throw new Error('expected an intact log');
    const anchor = { position: head.headPosition, hash: head.head };
    const copy = join(dir.path, 'cut.db');
    raw.exec(`VACUUM INTO '${copy}'`);
    const cut = new BetterSqlite3(copy);
    try {
      cut.exec(
        `DELETE FROM events WHERE position > 8; UPDATE sqlite_sequence SET seq = 8 WHERE name = 'events'`,
      );
      expect(verifyChain(cut)).toMatchObject({ ok: true, events: 8 });
      expect(verifyChain(cut, anchor)).toMatchObject({ ok: false, position: 9 });
      expect(verifyChain(raw, anchor)).toMatchObject({ ok: true });
    } finally {
      cut.close();
    }
  });

  it('catches a rewritten chain with the anchor, where the chain alone cannot', () => {
    const head = verifyChain(raw);
    if (!head.ok) throw new Error('expected an intact log');
    const copy = join(dir.path, 'rewritten.db');
    raw.exec(`VACUUM INTO '${copy}'`);
    const forged = new BetterSqlite3(copy);
    try {
      // Change event 3 and recompute every hash from there on: a consistent forgery.
      forged.prepare(`UPDATE events SET data = replace(data, 'key k2', 'forged') WHERE position = 3`).run();
      let previous = forged.prepare('SELECT hash FROM events WHERE position = 2').pluck().get() as string;
      for (const row of forged.prepare('SELECT * FROM events WHERE position >= 3 ORDER BY position').all()) {
        previous = chainHash(previous, row as Parameters<typeof chainHash>[1]);
        forged
          .prepare('UPDATE events SET hash = ? WHERE position = ?')
          .run(previous, (row as { position: number }).position);
      }
      expect(verifyChain(forged).ok).toBe(true);
      expect(verifyChain(forged, { position: head.headPosition, hash: head.head })).toMatchObject({
        ok: false,
        position: head.headPosition,
      });
    } finally {
      forged.close();
    }
  });
});
