import { generateKeyInput, registerInput } from '@keyledger/server/schemas';
import { describe, expect, it } from 'vitest';
import { readAsOf } from '../../../dashboard/src/lib/as-of.js';
import { auditChanges, shortUserAgent } from '../../../dashboard/src/lib/audit.js';
import { labelledIndices, niceTicks } from '../../../dashboard/src/lib/chart-scale.js';
import { keyExamples } from '../../../dashboard/src/lib/examples.js';
import { formatPercent, fromDateTimeLocal, relativeTime } from '../../../dashboard/src/lib/format.js';
import { validateSignUp } from '../../../dashboard/src/lib/forms/account.js';
import { GENERATE_DEFAULTS, validateGenerate } from '../../../dashboard/src/lib/forms/generate-key.js';
import { GRACE_PERIODS, validateUpdate } from '../../../dashboard/src/lib/forms/key-settings.js';

// The dashboard's own logic, away from the browser: form rules, the chart's scale, time handling.

describe('generate form validation', () => {
  const valid = { ...GENERATE_DEFAULTS, name: 'Production backend' };

  it('builds an input the server’s own schema accepts', () => {
    const result = validateGenerate(
      { ...valid, expiry: 'days', expires_in_days: '30', rate_limit: '500', description: 'gateway' },
      { isAdmin: false },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.data).toEqual({
      name: 'Production backend',
      description: 'gateway',
      scope: 'read_only',
      expires_in_days: 30,
      rate_limit: 500,
    });
    expect(generateKeyInput.safeParse(result.data).success).toBe(true);
  });

  it('reports each broken rule beside its field, stated from the schema’s bounds', () => {
    const result = validateGenerate(
      { ...valid, name: '   ', expiry: 'days', expires_in_days: '366', rate_limit: '1.5', scope: 'root' },
      { isAdmin: false },
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        name: 'A name is required.',
        description: undefined,
        scope: 'Choose a scope.',
        expires_in_days: 'Enter a whole number from 1 to 365.',
        rate_limit: 'Enter a whole number from 1 to 10,000.',
      },
    });
  });

  it('ignores the days field when the key never expires', () => {
    const result = validateGenerate(
      { ...valid, expiry: 'never', expires_in_days: 'zzz' },
      { isAdmin: false },
    );
    expect(result.ok && result.data.expires_in_days).toBe(null);
  });

  it('lets only administrators pick the admin scope', () => {
    expect(validateGenerate({ ...valid, scope: 'admin' }, { isAdmin: false })).toMatchObject({
      ok: false,
      errors: { scope: 'Only administrators can create admin keys.' },
    });
    expect(validateGenerate({ ...valid, scope: 'admin' }, { isAdmin: true }).ok).toBe(true);
  });
});

describe('account and key settings forms', () => {
  it('asks for matching passwords and applies the sign-up rules', () => {
    expect(validateSignUp({ username: 'ada', password: 'long enough pw', confirm: 'other' })).toMatchObject({
      ok: false,
      errors: { confirm: 'The passwords do not match.' },
    });
    const ok = validateSignUp({ username: 'ada', password: 'long enough pw', confirm: 'long enough pw' });
    expect(ok.ok && registerInput.safeParse(ok.data).success).toBe(true);
  });

  it('trims a renamed key and clears an empty description', () => {
    expect(validateUpdate({ name: '  New name ', description: '  ' })).toEqual({
      ok: true,
      data: { name: 'New name', description: null },
    });
  });

  it('offers grace periods from none up to the server’s maximum of 7 days', () => {
    expect(GRACE_PERIODS[0]?.seconds).toBe(0);
    expect(GRACE_PERIODS.at(-1)?.seconds).toBe(7 * 86_400);
  });
});

describe('usage chart scale', () => {
  it('covers the largest day with whole-number ticks from zero', () => {
    for (const max of [1, 3, 7, 10, 99, 1234, 50_001]) {
      const ticks = niceTicks(max);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect(ticks.every(Number.isInteger)).toBe(true);
      expect(ticks.length).toBeLessThanOrEqual(6);
    }
  });

  it('labels evenly spaced days and always today', () => {
    const picked = labelledIndices(90, 10);
    expect(picked.has(89)).toBe(true);
    expect(picked.size).toBeLessThanOrEqual(10);
  });
});

describe('times', () => {
  it('reads the as-of control as UTC and the timeline’s links as they are', () => {
    expect(readAsOf(new URL('http://x/?as_of=2026-03-04T14:05'))).toEqual({
      asOf: '2026-03-04T14:05:00.000Z',
      error: null,
    });
    expect(readAsOf(new URL('http://x/?as_of=2026-03-04T14:05:09.123Z')).asOf).toBe(
      '2026-03-04T14:05:09.123Z',
    );
    expect(readAsOf(new URL('http://x/?as_of=2026-03-04T15:05:09%2B01:00')).asOf).toBe(
      '2026-03-04T14:05:09.000Z',
    );
    expect(readAsOf(new URL('http://x/?as_of=yesterday')).error).toMatch(/date and time/);
    expect(readAsOf(new URL('http://x/')).asOf).toBe(null);
    expect(fromDateTimeLocal('2026-02-30T10:00')).toBe(null);
    expect(fromDateTimeLocal('2026-02-28T23:59:59.5')).toBe('2026-02-28T23:59:59.500Z');
  });

  it('says how long ago, in the largest whole unit', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(relativeTime(new Date(now - 3 * 86_400_000).toISOString(), now)).toBe('3 days ago');
    expect(relativeTime(new Date(now + 3_600_000).toISOString(), now)).toBe('in 1 hour');
    expect(relativeTime(new Date(now - 5_000).toISOString(), now)).toBe('just now');
  });

  it('shows rates without hiding a small failure rate', () => {
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.0004)).toBe('0.04%');
    expect(formatPercent(0.123)).toBe('12.3%');
  });
});

describe('examples and audit entries', () => {
  const key = 'rag_abc';

  it('calls what the key’s scope allows', () => {
    const [curl] = keyExamples(key, 'read_only', 'http://127.0.0.1:8000');
    expect(curl?.code).toContain('curl http://127.0.0.1:8000/system/info');
    const ingest = keyExamples(key, 'ingest_only', 'http://h').find((e) => e.id === 'python');
    expect(ingest?.code).toContain('requests.post(');
    expect(ingest?.code).toContain('"http://h/ingest"');
    expect(ingest?.code).toContain('json={"data_type": "text"');
    for (const example of keyExamples(key, 'query_only', 'http://h')) expect(example.code).toContain(key);
  });

  it('shell-quotes a key safely', () => {
    const [curl] = keyExamples("rag_it's", 'query_only', 'http://h');
    expect(curl?.code).toContain(`export KEYLEDGER_API_KEY='rag_it'\\''s'`);
  });

  it('names clients briefly and formats what changed', () => {
    expect(shortUserAgent('curl/8.5.0')).toBe('curl 8.5.0');
    expect(
      shortUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36'),
    ).toBe('Chrome 131');
    expect(shortUserAgent(null)).toBe(null);
    const changes = auditChanges({
      position: 3,
      type: 'key.regenerated',
      recorded_at: '2026-01-10T00:00:00.000Z',
      actor: null,
      ip: null,
      user_agent: null,
      request_id: null,
      changes: { key_id: 'key_1', previous_key_expires_at: null, rate_limit: 1000 },
    });
    expect(changes).toEqual([
      { label: 'Previous secret stops', value: 'at once' },
      { label: 'Rate limit', value: '1,000' },
    ]);
  });
});
