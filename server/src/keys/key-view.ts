import type { ApiKeyRow, KeyState } from '@keyledger/events';
import type { KeyObject, KeyStatus } from '../api/schemas/index.js';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** `expired` is worked out at read time: the projection holds only what events said. */
export function keyStatus(state: Pick<KeyState, 'status' | 'expires_at'>, now: number): KeyStatus {
  if (state.status === 'revoked') return 'revoked';
  if (state.expires_at !== null && state.expires_at <= now) return 'expired';
  return 'active';
}

/** The public shape of a key. It is built field by field so that a hash can never slip through. */
export function toKeyObject(k: KeyState | ApiKeyRow, now: number): KeyObject {
  const graceOpen = k.previous_key_expires_at !== null && k.previous_key_expires_at > now;
  return {
    key_id: k.key_id,
    key_prefix: k.key_prefix,
    name: k.name,
    description: k.description,
    user_id: k.user_id,
    scope: k.scope,
    status: keyStatus(k, now),
    created_at: iso(k.created_at),
    updated_at: iso(k.updated_at),
    expires_at: isoOrNull(k.expires_at),
    revoked_at: isoOrNull(k.revoked_at),
    last_used: isoOrNull(k.last_used),
    usage_count: k.usage_count,
    rate_limit: k.rate_limit,
    rate_window: k.rate_window,
    previous_key_expires_at: graceOpen ? iso(k.previous_key_expires_at as number) : null,
  };
}
