import { idempotencyScope } from '../request-meta.js';
import type { Context } from './context.js';

/**
 * Runs a mutation's writes in one transaction, and, when the request carried an Idempotency-Key, stores
 * the reply in that same transaction so a retry replays it instead of acting twice.
 * `fingerprint` is what must match for a replay; it is the input, less anything secret.
 */
export function idempotent<T>(ctx: Context, procedure: string, fingerprint: unknown, execute: () => T): T {
  const { store, idempotency } = ctx.services;
  const key = ctx.meta.idempotencyKey;
  if (!key) return store.transaction(execute);
  return store.transaction(() =>
    idempotency.run(idempotencyScope(ctx.user), key, procedure, fingerprint, execute),
  );
}
