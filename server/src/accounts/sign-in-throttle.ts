import type { RateLimiter } from '../verify/rate-limiter.js';

/** Far stricter than ordinary limits: 5 failures per username and 20 per address in 15 minutes. */
export const SIGN_IN_LIMITS = {
  perUsername: { limit: 5, windowSeconds: 900 },
  perIp: { limit: 20, windowSeconds: 900 },
} as const;

export function signInThrottle(limiter: RateLimiter) {
  const ids = (username: string, ip: string | null) => ({
    user: `signin-user:${username.toLowerCase()}`,
    ip: ip === null ? null : `signin-ip:${ip}`,
  });
  return {
    /** Milliseconds to wait before another attempt is heard, or 0. */
    retryAfterMs(username: string, ip: string | null): number {
      const id = ids(username, ip);
      const u = limiter.peek(
        id.user,
        SIGN_IN_LIMITS.perUsername.limit,
        SIGN_IN_LIMITS.perUsername.windowSeconds,
      );
      const i =
        id.ip === null
          ? null
          : limiter.peek(id.ip, SIGN_IN_LIMITS.perIp.limit, SIGN_IN_LIMITS.perIp.windowSeconds);
      return Math.max(u.retryAfterMs, i?.retryAfterMs ?? 0);
    },
    recordFailure(username: string, ip: string | null): void {
      const id = ids(username, ip);
      limiter.consume(id.user, SIGN_IN_LIMITS.perUsername.limit, SIGN_IN_LIMITS.perUsername.windowSeconds);
      if (id.ip !== null)
        limiter.consume(id.ip, SIGN_IN_LIMITS.perIp.limit, SIGN_IN_LIMITS.perIp.windowSeconds);
    },
    /** Counts a sign-up attempt; returns milliseconds to wait when the address is over its limit, or 0. */
    takeSignUp(ip: string | null, perHour: number): number {
      if (ip === null) return 0;
      const decision = limiter.consume(`signup-ip:${ip}`, perHour, 3600);
      return decision.allowed ? 0 : decision.retryAfterMs;
    },
    recordSuccess(username: string): void {
      limiter.reset(ids(username, null).user);
    },
  };
}
export type SignInThrottle = ReturnType<typeof signInThrottle>;
