import type { VerifyKeyInput, VerifyKeyOutput } from '../api/schemas/index.js';
import { rateLimitHeaders } from '../http/rate-limit-headers.js';
import type { Context } from '../trpc/context.js';

/**
 * The `verify.key` procedure's work, in one place for both of its doors: tRPC, and the REST route that
 * calls it without the tRPC caller (the hottest route there is; see http/rest/verify-api-key.ts).
 *
 * The key in the body is the credential; no access token is needed. A service that checks its own
 * callers' keys (the SDK middleware) signs in and sends X-Forwarded-For: failed verifications are then
 * counted per caller address, so one prober cannot get the whole service throttled, and per service
 * account, at a higher limit, so a forged address buys nothing.
 */
export function verifyForCaller(ctx: Context, input: VerifyKeyInput): VerifyKeyOutput {
  const onBehalfOf = ctx.user ? (ctx.meta.forwardedFor ?? null) : null;
  const result = ctx.services.verifyKey({
    key: input.key,
    endpoint: input.endpoint,
    scope: input.scope,
    ip: onBehalfOf ?? ctx.meta.ip,
    callerAccount: ctx.user?.user_id ?? null,
    userAgent: ctx.meta.userAgent,
    requestId: ctx.meta.requestId,
  });
  if (result.rate) Object.assign(ctx.responseHeaders, rateLimitHeaders(result.rate, ctx.services.clock()));
  return result.output;
}
