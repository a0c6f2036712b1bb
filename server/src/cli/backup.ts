import type { EventStore } from '@keyledger/events';
import { existsSync } from 'node:fs';
import { KeyledgerError } from '../errors.js';

/**
 * An online backup through SQLite's backup API: consistent while the server keeps writing. Usage still
 * in this process's buffer is flushed first.
 */
export async function backupDatabase(store: EventStore, path: string) {
  if (existsSync(path)) throw new KeyledgerError('VALIDATION_FAILED', `${path} exists; choose a new file`);
  store.flush();
  const started = performance.now();
  const { totalPages } = await store.db.backup(path);
  return { path, pages: totalPages, seconds: (performance.now() - started) / 1000 };
}
