import type { EventMetadata, UserRole } from '@keyledger/events';
import { createHash } from 'node:crypto';

/** Where a request came from; every event it causes records this. */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** The Idempotency-Key header as the client sent it. */
  idempotencyKey: string | null;
  /**
   * The first X-Forwarded-For address, when it is a valid IP. Only verification uses it, and only for a
   * signed-in service checking keys on its callers' behalf (see routers/verify.ts).
   */
  forwardedFor?: string | null;
}

export interface SignedInUser {
  user_id: string;
  username: string;
  role: UserRole;
}

/** Idempotency keys are scoped to the signed-in user, or shared by anonymous calls. */
export const idempotencyScope = (user: SignedInUser | null) => user?.user_id ?? 'anonymous';

/** How an idempotency key is stored and recorded: never in the clear (see idempotency-store.ts). */
export const idempotencyKeyId = (scope: string, key: string) =>
  createHash('sha256').update(`${scope}\u0000${key}`).digest('hex');

/** Event metadata for an action: who, from where, under which request and idempotency key. */
export function eventMetadata(meta: RequestMeta, actor: SignedInUser | null): EventMetadata {
  return {
    actor: actor
      ? { type: 'user', id: actor.user_id, username: actor.username }
      : { type: 'system', id: null },
    request_id: meta.requestId,
    ip: meta.ip,
    user_agent: meta.userAgent?.slice(0, 500) ?? null,
    idempotency_key: meta.idempotencyKey
      ? idempotencyKeyId(idempotencyScope(actor), meta.idempotencyKey)
      : null,
  };
}

export const SYSTEM_META: RequestMeta = {
  requestId: 'system',
  ip: null,
  userAgent: null,
  idempotencyKey: null,
};
