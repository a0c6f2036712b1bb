import { z } from 'zod';

export const actorSchema = z.object({
  type: z.enum(['user', 'system', 'key']),
  id: z.string().nullable(),
  username: z.string().nullable().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

/** Who caused an event and from where; stored beside every event for the audit trail. */
export const eventMetadataSchema = z.object({
  actor: actorSchema.nullable().optional(),
  request_id: z.string().max(200).nullable().optional(),
  ip: z.string().max(100).nullable().optional(),
  user_agent: z.string().max(500).nullable().optional(),
  idempotency_key: z.string().max(255).nullable().optional(),
});
export type EventMetadata = z.infer<typeof eventMetadataSchema>;
