#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { configFromEnv } from './config.js';

/** `npm start`: one process serving the API and the dashboard, with an embedded SQLite database. */
async function main(): Promise<void> {
  // The database, its WAL and the pepper hold password and key hashes: no one but this user reads them.
  process.umask(0o077);
  const here = dirname(fileURLToPath(import.meta.url));
  const config = configFromEnv(process.env, join(here, '..', '..', 'dashboard', 'build'));
  const app = await createApp(config);
  const url = await app.listen();
  app.logger.info({ url, database: config.databasePath }, `Keyledger is listening on ${url}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: finishing requests in flight and flushing usage');
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        app.logger.error({ err: (error as Error).message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`keyledger: ${(error as Error).message}`);
  process.exit(1);
});
