import { verifyKeyInput, type VerifyCode, type VerifyKeyOutput } from '../../api/schemas/index.js';
import { KeyledgerError, type ErrorCode } from '../../errors.js';
import { ENDPOINT_OPERATIONS } from '../../keys/scopes.js';
import type { Services } from '../../services.js';
import type { Context } from '../../trpc/context.js';
import { issuesOf } from '../../trpc/init.js';
import { verifyForCaller } from '../../verify/verify-for-caller.js';
import { rateLimitHeaders } from '../rate-limit-headers.js';
import type { VerifiedKey } from './route-spec.js';

/** How a refused key is answered; the same words as the SDK's middleware uses. */
const REFUSALS: Record<Exclude<VerifyCode, 'VALID'>, { code: ErrorCode; message: string }> = {
  MALFORMED: { code: 'INVALID_API_KEY', message: 'the API key is malformed' },
  NOT_FOUND: { code: 'INVALID_API_KEY', message: 'the API key is not valid' },
  REVOKED: { code: 'INVALID_API_KEY', message: 'the API key has been revoked' },
  EXPIRED: { code: 'INVALID_API_KEY', message: 'the API key has expired' },
  INSUFFICIENT_SCOPE: { code: 'INSUFFICIENT_SCOPE', message: 'the API key’s scope does not allow this' },
  RATE_LIMITED: { code: 'RATE_LIMITED', message: 'the API key’s rate limit is exhausted; retry later' },
};

/**
 * Checks the key a knowledge API call carries, through the one verification path /api-keys/verify
 * uses: format, lookup, revocation, expiry, the scope `endpoint` needs, the rate limit, and the use
 * recorded against `endpoint`. Puts the rate-limit headers on the response; throws the refusal.
 */
export function verifyApiKey(
  services: Services,
  ctx: Context,
  apiKey: string,
  endpoint: string,
): VerifiedKey {
  const { output, rate } = services.verifyKey({
    key: apiKey,
    endpoint,
    ip: ctx.meta.ip,
    userAgent: ctx.meta.userAgent,
    requestId: ctx.meta.requestId,
  });
  if (rate) Object.assign(ctx.responseHeaders, rateLimitHeaders(rate, services.clock()));
  if (output.valid && output.key_id !== null && output.user_id !== null && output.scope !== null) {
    return { key_id: output.key_id, user_id: output.user_id, scope: output.scope, rate };
  }
  const code = output.code === 'VALID' ? 'NOT_FOUND' : output.code;
  const refusal = REFUSALS[code];
  if (code === 'RATE_LIMITED') {
    const retryAfter = Math.max(1, Math.ceil((rate?.retryAfterMs ?? 1000) / 1000));
    throw new KeyledgerError(refusal.code, refusal.message, { retry_after: retryAfter });
  }
  if (code === 'INSUFFICIENT_SCOPE') {
    throw new KeyledgerError(refusal.code, refusal.message, {
      scope: output.scope,
      required_operation: ENDPOINT_OPERATIONS[endpoint],
    });
  }
  throw new KeyledgerError(refusal.code, refusal.message, { reason: code });
}

/**
 * POST /api-keys/verify, answered as the `verify.key` procedure answers it (the same input schema, the
 * same verifyForCaller) but without the tRPC caller around it and without re-validating an output this
 * server has just built: profiled under load, the caller cost more than the verification itself.
 */
export function verifyKeyRoute(ctx: Context, body: unknown): VerifyKeyOutput {
  const parsed = verifyKeyInput.safeParse(body);
  if (!parsed.success) {
    throw new KeyledgerError('VALIDATION_FAILED', 'the request is not valid', {
      issues: issuesOf(parsed.error),
    });
  }
  return verifyForCaller(ctx, parsed.data);
}
