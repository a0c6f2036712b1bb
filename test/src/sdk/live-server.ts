import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, createApp, type App } from '@keyledger/server';

export interface LiveServer {
  url: string;
  app: App;
  close(): Promise<void>;
}

/** A real Keyledger server in this process, on a free port, with a database in a fresh temp folder. */
export async function startLiveServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-sdk-'));
  const config = configFromEnv({
    DATABASE_PATH: join(dir, 'keyledger.db'),
    LOG_LEVEL: 'silent',
    KEYLEDGER_DEMO_API: 'on',
    KEYLEDGER_SIGNUPS_PER_HOUR: '100000',
    ...env,
  });
  const app = await createApp(config);
  const url = await app.listen(0, '127.0.0.1');
  return {
    url,
    app,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A username no other test in this run uses. */
export const uniqueUsername = (label: string) => `${label}-${process.pid}-${++counter}`;
export const PASSWORD = 'correct horse battery staple';
