import type { Database } from 'better-sqlite3';
import { createProjector } from '../projections/projector.js';
import {
  createProjectionTables,
  dropProjectionTables,
  LIVE_TABLES,
  PRIMARY_KEYS,
  replayTables,
  swapInProjectionTables,
  type ProjectionTables,
} from '../projections/tables.js';
import { rollUpDays } from '../projections/usage.js';
import { PROJECTED_COLUMNS, toProjectedEvent, type ProjectedRow } from '../store/recorded-event.js';

const REPLAY_PREFIX = 'replay_';

export interface ReplayOptions {
  /** Uses recorded before this time are not kept as raw rows (the retention cut-off). */
  usageLogCutoff: number;
  /** Events applied per transaction (default 20,000). */
  batchSize?: number;
  /** Called between batches, outside any transaction, with the last position applied. */
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

interface Replay {
  /**
   * Applies the events after the last one applied, a batch per call of `inTransaction`, until a batch
   * comes back short: the log's end at that moment. New events may still be arriving; a last call of
   * `catchUp` inside the transaction that uses the tables picks them up.
   */
  catchUp(inTransaction: (apply: () => void) => void, reportProgress: boolean): void;
  /** Completes the tables once every event is applied; call in the transaction of the last catch-up. */
  finish(): void;
  readonly events: number;
}

/** Fills fresh `tables` from position 0 with the same projector the store runs live. */
function startReplay(db: Database, tables: ProjectionTables, options: ReplayOptions): Replay {
  dropProjectionTables(db, tables);
  createProjectionTables(db, tables);
  const projector = createProjector(db, tables, {
    usageLogCutoff: () => options.usageLogCutoff,
    dailyRollups: false,
  });
  const batchSize = options.batchSize ?? 20_000;
  const select = db
    .prepare<[number, number], ProjectedRow>(
      `SELECT ${PROJECTED_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
    )
    .raw();
  let after = 0;
  let events = 0;
  return {
    catchUp(inTransaction, reportProgress) {
      for (let full = true; full;) {
        inTransaction(() => {
          const rows = select.all(after, batchSize);
          full = rows.length === batchSize;
          const last = rows.at(-1);
          if (!last) return;
          projector.applyAll(rows.map(toProjectedEvent));
          after = last[0];
          events += rows.length;
        });
        if (reportProgress) options.onProgress?.(after);
      }
    },
    finish: () => rollUpDays(db, tables),
    get events() {
      return events;
    },
  };
}

function compareTables(
  db: Database,
  name: keyof ProjectionTables,
  live: string,
  replayed: string,
  where: string,
  params: unknown[],
): ProjectionDifference[] {
  const keys = PRIMARY_KEYS[name];
  const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(live) as string[]).join(', ');
  const diff = (a: string, b: string) =>
    db
      .prepare(`SELECT ${cols} FROM ${a} ${where} EXCEPT SELECT ${cols} FROM ${b} ${where}`)
      .all(...params, ...params) as Record<string, unknown>[];
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

/**
 * Replays the whole log into fresh tables and lists every row where the live projections differ.
 *
 * The fresh tables are TEMP tables, private to this connection: writing them takes no lock on the
 * database, so a check can run beside a serving process (even on a read-only connection). The last
 * catch-up and the comparison share one read transaction, so both see the log and the live tables at
 * the same instant and events appended meanwhile cannot show up as drift.
 */
export function checkProjections(db: Database, options: ReplayOptions): ReplayReport {
  const started = performance.now();
  const tables = replayTables(REPLAY_PREFIX, 'temp');
  try {
    const replay = startReplay(db, tables, options);
    replay.catchUp((apply) => db.transaction(apply).deferred(), true);
    const differences: ProjectionDifference[] = [];
    db.transaction(() => {
      replay.catchUp((apply) => apply(), false);
      replay.finish();
      for (const name of Object.keys(LIVE_TABLES) as (keyof ProjectionTables)[]) {
        // Raw usage rows past retention may be pruned at any moment; only rows inside it must agree.
        const [where, params] =
          name === 'usageLogs' ? ['WHERE timestamp >= ?', [options.usageLogCutoff]] : ['', []];
        differences.push(...compareTables(db, name, LIVE_TABLES[name], tables[name], where, params));
      }
    }).deferred();
    return { events: replay.events, seconds: (performance.now() - started) / 1000, differences };
  } finally {
    dropProjectionTables(db, tables);
  }
}

/**
 * Replays the whole log into fresh tables and swaps them in for the live ones. Batches commit one by
 * one, so a serving process waits at most one batch for the write lock; the last catch-up and the swap
 * share one transaction, so no event appended meanwhile is missing from the new tables.
 */
export function rebuildProjections(db: Database, options: ReplayOptions): ReplayReport {
  const started = performance.now();
  const tables = replayTables(REPLAY_PREFIX);
  try {
    const replay = startReplay(db, tables, options);
    replay.catchUp((apply) => db.transaction(apply).immediate(), true);
    db.transaction(() => {
      replay.catchUp((apply) => apply(), false);
      replay.finish();
      swapInProjectionTables(db, tables);
    }).immediate();
    return { events: replay.events, seconds: (performance.now() - started) / 1000, differences: [] };
  } finally {
    dropProjectionTables(db, tables);
  }
}
