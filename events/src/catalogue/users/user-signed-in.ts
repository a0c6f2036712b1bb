import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { UserState } from './user-state.js';

export const userSignedInData = z.object({ user_id: z.string() });

export const userSignedIn = defineEvent({
  type: 'user.signed_in',
  version: 1,
  schema: userSignedInData,
  upcasters: {},
  evolve: (state: UserState | null, _data, { recordedAt }) =>
    state && { ...state, last_sign_in_at: recordedAt },
});
