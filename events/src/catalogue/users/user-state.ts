import type { UserRole } from '../scopes.js';

export interface UserState {
  user_id: string;
  username: string;
  password_hash: string;
  role: UserRole;
  created_at: number;
  last_sign_in_at: number | null;
}
