import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RestServer } from './harness.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./python/keyledger_flow.py', import.meta.url));

describe('the REST API from Python’s standard library', () => {
  let server: RestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('runs the brief’s whole flow: sign-up to revocation, with the knowledge API in between', async () => {
    // Asynchronous on purpose: the server answers from this same process.
    const { stdout } = await run('python3', [SCRIPT, server.url], { timeout: 60_000 }).catch(
      (error: { stderr?: string; message: string }) => {
        throw new Error(`the Python client failed: ${error.stderr || error.message}`);
      },
    );
    const summary = JSON.parse(stdout) as {
      answer: string;
      usage_endpoints: string[];
      retry_waits: number[];
    };
    expect(summary.answer).toContain('computers learn patterns from data');
    expect(summary.usage_endpoints).toEqual(['/ingest', '/query', '/system/info']);
    // Two refused retries, each told to wait for the next slot of a 2-per-hour limit.
    expect(summary.retry_waits).toHaveLength(2);
    for (const wait of summary.retry_waits) expect(wait).toBeGreaterThan(0);
  });
});
