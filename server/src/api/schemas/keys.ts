import { z } from 'zod';
import { keyScopeSchema } from '@keyledger/events/catalogue';

export const KEY_STATUSES = ['active', 'expired', 'revoked'] as const;
export const keyStatusSchema = z.enum(KEY_STATUSES);
export type KeyStatus = z.infer<typeof keyStatusSchema>;

export const keyIdSchema = z.string().min(1).max(64);
const isoTime = z.string().describe('ISO-8601 time in UTC');

export const keyNameSchema = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(100, 'at most 100 characters');
export const keyDescriptionSchema = z.string().max(500, 'at most 500 characters');
export const expiresInDaysSchema = z.number().int().min(1).max(365);
export const rateLimitSchema = z.number().int().min(1).max(10_000);
export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600;

/** A key as every API returns it. Never carries a hash or a secret. */
export const keyObject = z.object({
  key_id: z.string(),
  key_prefix: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  user_id: z.string(),
  scope: keyScopeSchema,
  status: keyStatusSchema,
  created_at: isoTime,
  updated_at: isoTime,
  expires_at: isoTime.nullable(),
  revoked_at: isoTime.nullable(),
  last_used: isoTime.nullable(),
  usage_count: z.number().int(),
  rate_limit: z.number().int(),
  rate_window: z.number().int().describe('seconds'),
  previous_key_expires_at: isoTime
    .nullable()
    .describe('while a regenerated key is in its grace period, when the previous secret stops working'),
});
export type KeyObject = z.infer<typeof keyObject>;

export const generateKeyInput = z.strictObject({
  name: keyNameSchema,
  description: keyDescriptionSchema.nullable().default(null),
  scope: keyScopeSchema.default('read_only'),
  expires_in_days: expiresInDaysSchema.nullable().default(null),
  rate_limit: rateLimitSchema.default(100),
});
export type GenerateKeyInput = z.input<typeof generateKeyInput>;

/** Generate and regenerate are the only answers that carry the plaintext key, once. */
export const keyWithSecret = keyObject.extend({ key: z.string().describe('the plaintext key; shown once') });
export type KeyWithSecret = z.infer<typeof keyWithSecret>;

export const listKeysInput = z.strictObject({
  status: keyStatusSchema.optional(),
  user_id: z.string().max(64).optional().describe('admins only: list another user’s keys'),
  all_users: z.boolean().optional().describe('admins only: list every user’s keys'),
  limit: z.number().int().min(1).max(200).default(100),
  cursor: z.string().max(200).optional(),
});
export const listKeysOutput = z.object({
  keys: z.array(keyObject),
  next_cursor: z.string().nullable(),
  total: z.number().int().describe('how many keys match the filter, on every page'),
});
export type ListKeysOutput = z.infer<typeof listKeysOutput>;

export const getKeyInput = z.strictObject({
  key_id: keyIdSchema,
  as_of: z.iso.datetime({ offset: true }).optional(),
});

export const updateKeyInput = z
  .strictObject({
    key_id: keyIdSchema,
    name: keyNameSchema.optional(),
    description: keyDescriptionSchema.nullable().optional(),
  })
  .refine((v) => v.name !== undefined || v.description !== undefined, {
    message: 'name or description is required',
  });

export const revokeKeyInput = z.strictObject({
  key_id: keyIdSchema,
  reason: z.string().max(500).optional(),
});

export const regenerateKeyInput = z.strictObject({
  key_id: keyIdSchema,
  grace_period_seconds: z.number().int().min(0).max(MAX_GRACE_PERIOD_SECONDS).default(0),
});

export const keyIdInput = z.strictObject({ key_id: keyIdSchema });

export const scopeDescription = z.object({
  scope: keyScopeSchema,
  description: z.string(),
  operations: z.array(z.string()),
  requires_admin: z.boolean(),
});
export const scopesOutput = z.object({ scopes: z.array(scopeDescription) });
