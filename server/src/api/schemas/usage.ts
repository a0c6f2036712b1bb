import { z } from 'zod';
import { keyIdSchema } from './keys.js';

export const usageDaysSchema = z.number().int().min(1).max(365).default(30);

export const keyUsageInput = z.strictObject({ key_id: keyIdSchema, days: usageDaysSchema });

const dailyPoint = z.object({
  date: z.string().describe('UTC day, YYYY-MM-DD'),
  successes: z.number().int(),
  failures: z.number().int(),
});
const endpointUsage = z.object({
  endpoint: z.string(),
  total: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
});

export const keyUsageOutput = z.object({
  key_id: z.string(),
  days: z.number().int(),
  total: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  rate_limited: z.number().int(),
  success_rate: z.number().nullable().describe('successes / total, null when there were no calls'),
  last_used: z.string().nullable(),
  daily: z.array(dailyPoint),
  endpoints: z.array(endpointUsage),
});
export type KeyUsageOutput = z.infer<typeof keyUsageOutput>;

export const overviewInput = z.strictObject({ days: usageDaysSchema });

export const ALERT_KINDS = ['high_error_rate', 'rate_limited', 'expiring_soon', 'unused'] as const;
export const usageAlert = z.object({
  kind: z.enum(ALERT_KINDS),
  key_id: z.string(),
  name: z.string(),
  message: z.string(),
});

export const overviewOutput = z.object({
  days: z.number().int(),
  total: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  error_rate: z.number().nullable(),
  active_keys: z.number().int(),
  keys: z.array(
    z.object({
      key_id: z.string(),
      name: z.string(),
      total: z.number().int(),
      failures: z.number().int(),
      rate_limited: z.number().int(),
      error_rate: z.number().nullable(),
    }),
  ),
  alerts: z.array(usageAlert),
});
export type OverviewOutput = z.infer<typeof overviewOutput>;
