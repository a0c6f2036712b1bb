import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/generate-api-types.mjs', import.meta.url));

describe('generated API types', () => {
  it('are what the server’s AppRouter infers today (else run: node sdk/scripts/generate-api-types.mjs)', async () => {
    const run = await promisify(execFile)(process.execPath, [script, '--check']).then(
      () => ({ ok: true, stderr: '' }),
      (error: { stderr?: string }) => ({ ok: false, stderr: error.stderr ?? String(error) }),
    );
    expect(run.stderr).toBe('');
    expect(run.ok).toBe(true);
  }, 60_000);
});
