import { z } from 'zod';
import { keyIdSchema } from './keys.js';

export const keyEventsInput = z.strictObject({ key_id: keyIdSchema });

export const auditEntry = z.object({
  position: z.number().int(),
  type: z.string(),
  recorded_at: z.string(),
  actor: z
    .object({ type: z.string(), id: z.string().nullable(), username: z.string().nullable() })
    .nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()).describe('what the event changed; never a hash or a secret'),
});
export type AuditEntry = z.infer<typeof auditEntry>;
export const keyEventsOutput = z.object({ key_id: z.string(), events: z.array(auditEntry) });
