import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { UserState } from './user-state.js';

export const userSignInFailedData = z.object({
  /** Null when no account has this username. */
  user_id: z.string().nullable(),
  username: z.string(),
  reason: z.enum(['unknown_user', 'wrong_password', 'throttled']),
});

export const userSignInFailed = defineEvent({
  type: 'user.sign_in_failed',
  version: 1,
  schema: userSignInFailedData,
  upcasters: {},
  evolve: (state: UserState | null) => state,
});
