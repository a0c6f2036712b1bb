import { z } from 'zod';
import { userRoleSchema } from '@keyledger/events/catalogue';

export const usernameSchema = z
  .string()
  .min(3, 'at least 3 characters')
  .max(64, 'at most 64 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'letters, digits, dot, dash and underscore; starting with a letter or digit',
  );

// NIST SP 800-63B: at least 8 characters, allow long passphrases, no composition rules.
export const passwordSchema = z.string().min(8, 'at least 8 characters').max(256, 'at most 256 characters');

export const registerInput = z.strictObject({ username: usernameSchema, password: passwordSchema });
export type RegisterInput = z.infer<typeof registerInput>;

export const userOutput = z.object({
  user_id: z.string(),
  username: z.string(),
  role: userRoleSchema,
  created_at: z.string(),
});
export type UserOutput = z.infer<typeof userOutput>;

// Sign-in does not re-apply the sign-up rules: an old account may predate them, and the answer must not
// tell which part was wrong.
export const tokenInput = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type TokenInput = z.infer<typeof tokenInput>;

export const tokenOutput = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
});
export type TokenOutput = z.infer<typeof tokenOutput>;

export const logoutOutput = z.object({ signed_out: z.literal(true) });
