import { z } from 'zod';

/** The scopes a key can carry, as the product brief names them. What each allows lives in the server. */
export const KEY_SCOPES = ['read_only', 'query_only', 'ingest_only', 'full_access', 'admin'] as const;
export const keyScopeSchema = z.enum(KEY_SCOPES);
export type KeyScope = z.infer<typeof keyScopeSchema>;

export const USER_ROLES = ['user', 'admin'] as const;
export const userRoleSchema = z.enum(USER_ROLES);
export type UserRole = z.infer<typeof userRoleSchema>;
