import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { userRoleSchema } from '../scopes.js';
import type { UserState } from './user-state.js';

export const userRegisteredData = z.object({
  user_id: z.string(),
  username: z.string(),
  /** An argon2id PHC string; the password itself never reaches the log. */
  password_hash: z.string().startsWith('$argon2id$'),
  role: userRoleSchema,
});

export const userRegistered = defineEvent({
  type: 'user.registered',
  version: 1,
  schema: userRegisteredData,
  upcasters: {},
  evolve: (_state: UserState | null, data, { recordedAt }): UserState => ({
    ...data,
    created_at: recordedAt,
    last_sign_in_at: null,
  }),
});
