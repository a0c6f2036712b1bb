import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import type { UserState } from './user-state.js';

export const userSignInFailedData = z.object({
  /** Null when no account has this username. */
  user_id: z.string().nullable(),
  username: z.string(),
  // Throttled attempts are not recorded: a prober must not be able to fill the append-only log.
  reason: z.enum(['unknown_user', 'wrong_password']),
});

export const userSignInFailed = defineEvent({
  type: 'user.sign_in_failed',
  version: 1,
  schema: userSignInFailedData,
  upcasters: {},
  evolve: (state: UserState | null) => state,
});
