import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { keyScopeSchema } from '../scopes.js';
import type { KeyState } from './key-state.js';

export const DEFAULT_RATE_WINDOW_SECONDS = 3600;

export const keyCreatedData = z.object({
  key_id: z.string(),
  user_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  scope: keyScopeSchema,
  key_hash: z.string(),
  key_prefix: z.string(),
  expires_at: z.number().int().nullable(),
  rate_limit: z.number().int().positive(),
  rate_window: z.number().int().positive(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
});
export type KeyCreatedData = z.infer<typeof keyCreatedData>;

export const keyCreated = defineEvent({
  type: 'key.created',
  version: 2,
  schema: keyCreatedData,
  upcasters: {
    // v1 had a fixed one-hour window and no free-form metadata.
    1: (v1) => ({ ...v1, rate_window: DEFAULT_RATE_WINDOW_SECONDS, metadata: null }),
  },
  evolve: (_state: KeyState | null, data, { recordedAt }): KeyState => ({
    ...data,
    status: 'active',
    created_at: recordedAt,
    updated_at: recordedAt,
    revoked_at: null,
    revoke_reason: null,
    previous_key_hash: null,
    previous_key_expires_at: null,
    usage_count: 0,
    last_used: null,
  }),
});
