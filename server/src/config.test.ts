import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, loadPepper } from './config.js';

describe('configuration', () => {
  it('creates the pepper file beside the database with mode 0600, once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-config-'));
    const db = join(dir, 'keyledger.db');
    const first = loadPepper(db, undefined);
    expect(first.length).toBe(32);
    expect(statSync(join(dir, 'keyledger.pepper')).mode & 0o777).toBe(0o600);
    expect(loadPepper(db, undefined).equals(first)).toBe(true);
  });

  it('prefers KEYLEDGER_PEPPER and applies the documented defaults', () => {
    const config = configFromEnv({ DATABASE_PATH: ':memory:', KEYLEDGER_PEPPER: 'p'.repeat(32) });
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      keyPrefix: 'rag',
      signUpOpen: true,
      demoApi: true,
    });
    expect(config.pepper.toString()).toBe('p'.repeat(32));
    expect(configFromEnv({ KEYLEDGER_PEPPER: 'p'.repeat(32) }).databasePath).toBe('./data/keyledger.db');
  });

  it('fails fast on an invalid setting, naming it', () => {
    expect(() => configFromEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => configFromEnv({ KEYLEDGER_PEPPER: 'short' })).toThrow(/KEYLEDGER_PEPPER/);
  });
});
