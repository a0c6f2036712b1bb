import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { KeyState } from './key-state.js';

export const keyRegeneratedData = z.object({
  key_id: z.string(),
  key_hash: z.string(),
  key_prefix: z.string(),
  /** When the previous secret stops working; null when it stopped at once. */
  previous_key_expires_at: z.number().int().nullable(),
});

export const keyRegenerated = defineEvent({
  type: 'key.regenerated',
  version: 1,
  schema: keyRegeneratedData,
  upcasters: {},
  evolve: (state: KeyState | null, data, { recordedAt }) =>
    state && {
      ...state,
      key_hash: data.key_hash,
      key_prefix: data.key_prefix,
      previous_key_hash: data.previous_key_expires_at === null ? null : state.key_hash,
      previous_key_expires_at: data.previous_key_expires_at,
      updated_at: recordedAt,
    },
});
