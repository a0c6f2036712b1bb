import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { KeyState } from './key-state.js';

export const keyUsedData = z.object({
  key_id: z.string(),
  endpoint: z.string(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  success: z.boolean(),
  /** A verification code such as RATE_LIMITED, or null on success. */
  error_code: z.string().nullable(),
});
export type KeyUsedData = z.infer<typeof keyUsedData>;

/**
 * Folds a run of uses into a key. The usage projection applies whole batches through this, and the
 * as-of fold uses it too, so both count the same way.
 */
export function applyUsage(state: KeyState, count: number, lastUsedAt: number | null): KeyState {
  if (count === 0) return state;
  const last = lastUsedAt === null ? state.last_used : Math.max(state.last_used ?? 0, lastUsedAt);
  return { ...state, usage_count: state.usage_count + count, last_used: last };
}

export const keyUsed = defineEvent({
  type: 'key.used',
  version: 1,
  schema: keyUsedData,
  upcasters: {},
  evolve: (state: KeyState | null, _data, { recordedAt }) => state && applyUsage(state, 1, recordedAt),
});
