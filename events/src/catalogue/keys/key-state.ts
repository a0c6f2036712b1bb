import type { KeyScope } from '../scopes.js';

/** A key as its events make it. Times are milliseconds since the epoch, UTC. */
export interface KeyState {
  key_id: string;
  user_id: string;
  name: string;
  description: string | null;
  scope: KeyScope;
  key_hash: string;
  key_prefix: string;
  /** `expired` is not a stored status: it depends on the time of reading, and replay must not. */
  status: 'active' | 'revoked';
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  previous_key_hash: string | null;
  previous_key_expires_at: number | null;
  rate_limit: number;
  rate_window: number;
  usage_count: number;
  last_used: number | null;
  metadata: Record<string, unknown> | null;
}
