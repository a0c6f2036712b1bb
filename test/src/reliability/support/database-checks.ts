import Database from 'better-sqlite3';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runCli } from './child-server.js';

/** Opens a second connection on a database a server may be using; WAL lets it read beside the writer. */
export function withDatabase<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    return fn(db);
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check`: 'ok', or SQLite's list of what is wrong. */
export function integrityCheck(path: string): string {
  return withDatabase(path, (db) =>
    (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n'),
  );
}

export interface LogChecks {
  /** `replay --check`: events replayed and the differences found (none when healthy). */
  replay: { code: number | null; events?: number; differences?: unknown[]; stderr: string };
  /** `verify-chain`: the CLI's JSON answer. */
  chain: { code: number | null; ok?: boolean; stderr: string; stdout: string };
}

/** The two checks the CLI offers an operator: projections against a full replay, and the hash chain. */
export async function checkLog(databasePath: string): Promise<LogChecks> {
  const replay = await runCli(['replay', '--check'], databasePath);
  const chain = await runCli(['verify-chain'], databasePath);
  const parse = (text: string): Record<string, unknown> => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const r = parse(replay.stdout);
  const c = parse(chain.stdout);
  return {
    replay: {
      code: replay.code,
      events: r.events as number | undefined,
      differences: r.differences as unknown[] | undefined,
      stderr: replay.stderr,
    },
    chain: { code: chain.code, ok: c.ok as boolean | undefined, stderr: chain.stderr, stdout: chain.stdout },
  };
}

/** The database file and whatever SQLite keeps beside it (-wal, -shm, -journal). */
export function databaseFiles(databasePath: string): string[] {
  const dir = dirname(databasePath);
  const name = basename(databasePath);
  return readdirSync(dir)
    .filter((f) => f.startsWith(name))
    .map((f) => join(dir, f));
}

/**
 * Byte search for plaintext secrets in files and other blobs (logs, response bodies). Returns where each
 * one was found, showing only a few characters of it.
 */
export function findSecrets(secrets: Iterable<string>, files: string[], blobs: Record<string, string> = {}) {
  const haystacks: [string, Buffer][] = files
    .filter((f) => existsSync(f))
    .map((f) => [basename(f), readFileSync(f)] as [string, Buffer]);
  for (const [name, text] of Object.entries(blobs)) haystacks.push([name, Buffer.from(text, 'utf8')]);
  const found: string[] = [];
  for (const secret of secrets) {
    const needle = Buffer.from(secret, 'utf8');
    for (const [name, hay] of haystacks) {
      if (hay.includes(needle)) found.push(`${secret.slice(0, 8)}… in ${name}`);
    }
  }
  return found;
}

/** Event counts by type, and the request ids of every recorded use. */
export function readLog(databasePath: string) {
  return withDatabase(databasePath, (db) => {
    const byType = new Map(
      (
        db.prepare('SELECT type, count(*) AS n FROM events GROUP BY type').all() as {
          type: string;
          n: number;
        }[]
      ).map((r) => [r.type, r.n]),
    );
    const useRequestIds = new Set(
      db
        .prepare("SELECT json_extract(metadata, '$.request_id') FROM events WHERE type = 'key.used'")
        .pluck()
        .all() as string[],
    );
    const keyEvents = db
      .prepare(
        "SELECT json_extract(data, '$.key_id') AS key_id, type FROM events WHERE type IN ('key.created', 'key.revoked', 'key.regenerated', 'key.updated')",
      )
      .all() as { key_id: string; type: string }[];
    const keys = new Map(
      (
        db.prepare('SELECT key_id, status, usage_count FROM api_keys').all() as {
          key_id: string;
          status: string;
          usage_count: number;
        }[]
      ).map((r) => [r.key_id, r]),
    );
    return { byType, useRequestIds, keyEvents, keys };
  });
}
