import { scopeCatalogue } from '../../keys/scopes.js';

// Examples for the OpenAPI document. A test parses each with its route's schema, so they cannot drift.

const USER_ID = 'usr_5b0e3c1d9f2a4e7b8c6d1a0f9e8d7c6b';
const KEY_ID = 'key_3f2a9c0d1e4b4a7f9e2d6c8b1a0f5e3d';
// Shaped like a key but with a wrong checksum: no verifier or secret scanner takes it for a real one.
const EXAMPLE_SECRET = 'rag_Q7mZ2xEXAMPLEexampleEXAMPLEexampleEXAMPLEex000000';

export const userExample = {
  user_id: USER_ID,
  username: 'alice',
  role: 'user',
  created_at: '2026-01-05T09:00:00.000Z',
};

export const credentialsExample = { username: 'alice', password: 'correct horse battery staple' };

export const tokenExample = { access_token: 'kls_8xQ2mV…', token_type: 'bearer', expires_in: 43200 };

export const keyExample = {
  key_id: KEY_ID,
  key_prefix: 'rag_Q7mZ2x',
  name: 'My API Key',
  description: 'For production app',
  user_id: USER_ID,
  scope: 'query_only',
  status: 'active',
  created_at: '2026-01-05T09:30:00.000Z',
  updated_at: '2026-01-05T09:30:00.000Z',
  expires_at: '2026-04-05T09:30:00.000Z',
  revoked_at: null,
  last_used: '2026-01-06T14:02:11.000Z',
  usage_count: 412,
  rate_limit: 1000,
  rate_window: 3600,
  previous_key_expires_at: null,
};

export const keyWithSecretExample = { ...keyExample, last_used: null, usage_count: 0, key: EXAMPLE_SECRET };

/** The brief's own example. */
export const generateExample = {
  name: 'My API Key',
  description: 'For production app',
  scope: 'query_only',
  expires_in_days: 90,
  rate_limit: 1000,
};

export const updateExample = { name: 'Updated name', description: 'Updated description' };

export const revokeExample = { reason: 'leaked in a CI log' };

export const regenerateExample = { grace_period_seconds: 3600 };

export const scopesExample = { scopes: scopeCatalogue() };

export const verifyExample = { key: EXAMPLE_SECRET, endpoint: '/query' };

export const verificationExample = {
  valid: true,
  code: 'VALID',
  key_id: KEY_ID,
  user_id: USER_ID,
  scope: 'query_only',
  expires_at: '2026-04-05T09:30:00.000Z',
  ratelimit: { limit: 1000, remaining: 998, reset: 1767718800000, window: 3600 },
};

export const usageExample = {
  key_id: KEY_ID,
  days: 2,
  total: 412,
  successes: 405,
  failures: 7,
  rate_limited: 3,
  success_rate: 0.983,
  last_used: '2026-01-06T14:02:11.000Z',
  daily: [
    { date: '2026-01-05', successes: 130, failures: 2 },
    { date: '2026-01-06', successes: 275, failures: 5 },
  ],
  endpoints: [
    { endpoint: '/query', total: 380, successes: 374, failures: 6 },
    { endpoint: '/system/info', total: 32, successes: 31, failures: 1 },
  ],
};

export const eventsExample = {
  key_id: KEY_ID,
  events: [
    {
      position: 17,
      type: 'key.created',
      recorded_at: '2026-01-05T09:30:00.000Z',
      actor: { type: 'user', id: USER_ID, username: 'alice' },
      ip: '203.0.113.7',
      user_agent: 'python-requests/2.32.3',
      request_id: '0b7e1c52-4f3d-4a8e-9c2b-7d1e6f5a4b3c',
      changes: { name: 'My API Key', scope: 'query_only', rate_limit: 1000 },
    },
  ],
};
