import { z } from 'zod';
import { keyScopeSchema } from '@keyledger/events/catalogue';

export const VERIFY_CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'EXPIRED',
  'RATE_LIMITED',
  'INSUFFICIENT_SCOPE',
] as const;
export const verifyCodeSchema = z.enum(VERIFY_CODES);
export type VerifyCode = z.infer<typeof verifyCodeSchema>;

export const verifyKeyInput = z.strictObject({
  key: z.string().max(256),
  endpoint: z.string().min(1).max(200).optional(),
  scope: keyScopeSchema.optional().describe('the scope the caller needs; checked against the key'),
});
export type VerifyKeyInput = z.infer<typeof verifyKeyInput>;

export const rateLimitState = z.object({
  limit: z.number().int(),
  remaining: z.number().int(),
  reset: z.number().int().describe('Unix time in milliseconds when the limit is fully restored'),
  window: z.number().int().describe('seconds'),
});
export type RateLimitState = z.infer<typeof rateLimitState>;

export const verifyKeyOutput = z.object({
  valid: z.boolean(),
  code: verifyCodeSchema,
  key_id: z.string().nullable(),
  user_id: z.string().nullable(),
  scope: keyScopeSchema.nullable(),
  expires_at: z.string().nullable(),
  ratelimit: rateLimitState.nullable(),
});
export type VerifyKeyOutput = z.infer<typeof verifyKeyOutput>;
