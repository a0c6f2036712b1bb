import type { RateDecision } from '../verify/rate-limiter.js';

/**
 * Both header families clients look for: the IETF draft (`RateLimit-Policy`, `RateLimit`) and the
 * de-facto `X-RateLimit-*` (reset as Unix seconds, as GitHub sends it), plus Retry-After when refused.
 */
export function rateLimitHeaders(rate: RateDecision, now: number): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((rate.resetAt - now) / 1000));
  const headers: Record<string, string> = {
    'RateLimit-Policy': `${rate.limit};w=${rate.windowSeconds}`,
    RateLimit: `limit=${rate.limit}, remaining=${rate.remaining}, reset=${resetSeconds}`,
    'X-RateLimit-Limit': String(rate.limit),
    'X-RateLimit-Remaining': String(rate.remaining),
    'X-RateLimit-Reset': String(Math.ceil(rate.resetAt / 1000)),
  };
  if (!rate.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000)));
  return headers;
}
