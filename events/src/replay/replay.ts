import type { Database } from 'better-sqlite3';
import { createProjector } from '../projections/projector.js';
import {
  createProjectionTables,
  dropProjectionTables,
  LIVE_TABLES,
  PRIMARY_KEYS,
  swapInProjectionTables,
  tablesWithPrefix,
  type ProjectionTables,
} from '../projections/tables.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from '../store/recorded-event.js';

const REPLAY_PREFIX = 'replay_';

export interface ReplayOptions {
  /** Uses recorded before this time are not kept as raw rows (the retention cut-off). */
  usageLogCutoff: number;
  batchSize?: number;
  onProgress?: (position: number) => void;
}

export interface ProjectionDifference {
  table: string;
  key: Record<string, unknown>;
  /** `missing`: live lacks a row the log implies; `extra`: live has a row it should not; `changed`: both, unequal. */
  kind: 'missing' | 'extra' | 'changed';
  live: Record<string, unknown> | null;
  replayed: Record<string, unknown> | null;
}

export interface ReplayReport {
  events: number;
  seconds: number;
  differences: ProjectionDifference[];
}

/** Rebuilds every projection from position 0 into fresh tables, a batch per transaction. */
function replayInto(db: Database, tables: ProjectionTables, options: ReplayOptions): number {
  dropProjectionTables(db, tables);
  createProjectionTables(db, tables);
  const projector = createProjector(db, tables, { usageLogCutoff: () => options.usageLogCutoff });
  const batchSize = options.batchSize ?? 20_000;
  const select = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  );
  const applyBatch = db.transaction((rows: EventRow[]) => {
    for (const row of rows) projector.apply(toRecordedEvent(row));
    projector.finish();
  });
  let after = 0;
  let count = 0;
  for (;;) {
    // Read outside the write transaction so that a serving process is blocked only while a batch applies.
    const rows = select.all(after, batchSize) as EventRow[];
    const last = rows.at(-1);
    if (!last) break;
    applyBatch.immediate(rows);
    after = last.position;
    count += rows.length;
    options.onProgress?.(after);
  }
  return count;
}

function compareTables(
  db: Database,
  name: keyof ProjectionTables,
  live: string,
  replayed: string,
  where: string,
): ProjectionDifference[] {
  const keys = PRIMARY_KEYS[name];
  const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(live) as string[]).join(', ');
  const diff = (a: string, b: string) =>
    db.prepare(`SELECT ${cols} FROM ${a} ${where} EXCEPT SELECT ${cols} FROM ${b} ${where}`).all() as Record<
      string,
      unknown
    >[];
  const keyOf = (row: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, row[k]]));
  const id = (row: Record<string, unknown>) => JSON.stringify(keys.map((k) => row[k]));
  const onlyLive = new Map(diff(live, replayed).map((r) => [id(r), r]));
  const onlyReplayed = new Map(diff(replayed, live).map((r) => [id(r), r]));
  const out: ProjectionDifference[] = [];
  for (const [k, row] of onlyLive) {
    const other = onlyReplayed.get(k) ?? null;
    out.push({ table: live, key: keyOf(row), kind: other ? 'changed' : 'extra', live: row, replayed: other });
  }
  for (const [k, row] of onlyReplayed) {
    if (!onlyLive.has(k))
      out.push({ table: live, key: keyOf(row), kind: 'missing', live: null, replayed: row });
  }
  return out;
}

/** Replays the whole log into fresh tables and lists every row where the live projections differ. */
export function checkProjections(db: Database, options: ReplayOptions): ReplayReport {
  const started = performance.now();
  const tables = tablesWithPrefix(REPLAY_PREFIX);
  try {
    const events = replayInto(db, tables, options);
    const differences: ProjectionDifference[] = [];
    for (const name of Object.keys(LIVE_TABLES) as (keyof ProjectionTables)[]) {
      // Raw usage rows past retention may be pruned at any moment; only rows inside it must agree.
      const where = name === 'usageLogs' ? `WHERE timestamp >= ${Math.floor(options.usageLogCutoff)}` : '';
      differences.push(...compareTables(db, name, LIVE_TABLES[name], tables[name], where));
    }
    return { events, seconds: (performance.now() - started) / 1000, differences };
  } finally {
    dropProjectionTables(db, tables);
  }
}

/** Replays the whole log into fresh tables and swaps them in for the live ones in one transaction. */
export function rebuildProjections(db: Database, options: ReplayOptions): ReplayReport {
  const started = performance.now();
  const tables = tablesWithPrefix(REPLAY_PREFIX);
  const events = replayInto(db, tables, options);
  db.transaction(() => swapInProjectionTables(db, REPLAY_PREFIX)).immediate();
  return { events, seconds: (performance.now() - started) / 1000, differences: [] };
}
