import { KEY_SCOPES } from '@keyledger/events/catalogue';
import { describe, expect, it } from 'vitest';
import { allows, ENDPOINT_OPERATIONS, satisfiesScope } from './scopes.js';

describe('scope table', () => {
  const expected: Record<string, string[]> = {
    '/system/info': ['read_only', 'query_only', 'ingest_only', 'full_access', 'admin'],
    '/query': ['query_only', 'full_access', 'admin'],
    '/ingest': ['ingest_only', 'full_access', 'admin'],
  };

  it.each(Object.entries(expected))('lets exactly the right scopes call %s', (endpoint, scopes) => {
    const operation = ENDPOINT_OPERATIONS[endpoint];
    if (!operation) throw new Error(`no operation for ${endpoint}`);
    expect(KEY_SCOPES.filter((s) => allows(s, operation))).toEqual(scopes);
  });

  it('treats a required scope as the set of operations it allows', () => {
    expect(satisfiesScope('full_access', 'query_only')).toBe(true);
    expect(satisfiesScope('query_only', 'full_access')).toBe(false);
    expect(satisfiesScope('ingest_only', 'query_only')).toBe(false);
    expect(KEY_SCOPES.every((s) => satisfiesScope('admin', s))).toBe(true);
    expect(KEY_SCOPES.every((s) => satisfiesScope(s, 'read_only'))).toBe(true);
  });
});
