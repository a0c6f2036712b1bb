import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { userRoleSchema } from '../scopes.js';
import type { UserState } from './user-state.js';

export const userRoleChangedData = z.object({ user_id: z.string(), role: userRoleSchema });

export const userRoleChanged = defineEvent({
  type: 'user.role_changed',
  version: 1,
  schema: userRoleChangedData,
  upcasters: {},
  evolve: (state: UserState | null, data) => state && { ...state, role: data.role },
});
