/** A key's rate-limit state as Keyledger reports it (`verify.key`'s `ratelimit`). */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix time in milliseconds when the limit is fully restored. */
  reset: number;
  /** The window in seconds. */
  window: number;
}

/**
 * The headers Keyledger's own protected routes send, so a protected service answers the same way: the
 * IETF draft's `RateLimit-Policy` and `RateLimit`, and the de-facto `X-RateLimit-*` (reset in Unix
 * seconds, as GitHub sends it).
 */
export function rateLimitHeaders(state: RateLimitState, now: number): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((state.reset - now) / 1000));
  return {
    'RateLimit-Policy': `${state.limit};w=${state.window}`,
    RateLimit: `limit=${state.limit}, remaining=${state.remaining}, reset=${resetSeconds}`,
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(Math.ceil(state.reset / 1000)),
  };
}
