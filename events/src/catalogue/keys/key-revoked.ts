import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { KeyState } from './key-state.js';

export const keyRevokedData = z.object({ key_id: z.string(), reason: z.string().nullable() });

export const keyRevoked = defineEvent({
  type: 'key.revoked',
  version: 1,
  schema: keyRevokedData,
  upcasters: {},
  evolve: (state: KeyState | null, data, { recordedAt }) =>
    state && {
      ...state,
      status: 'revoked' as const,
      revoked_at: state.revoked_at ?? recordedAt,
      revoke_reason: state.revoke_reason ?? data.reason,
      // A revoked key's previous secret stops with it.
      previous_key_hash: null,
      previous_key_expires_at: null,
      updated_at: recordedAt,
    },
});
