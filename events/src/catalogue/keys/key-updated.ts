import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { KeyState } from './key-state.js';

export const keyUpdatedData = z.object({
  key_id: z.string(),
  name: z.string().optional(),
  description: z.string().nullable().optional(),
});

export const keyUpdated = defineEvent({
  type: 'key.updated',
  version: 1,
  schema: keyUpdatedData,
  upcasters: {},
  evolve: (state: KeyState | null, data, { recordedAt }) =>
    state && {
      ...state,
      name: data.name ?? state.name,
      description: data.description === undefined ? state.description : data.description,
      updated_at: recordedAt,
    },
});
