/**
 * GCRA (the generic cell rate algorithm): one number per key, the theoretical arrival time. A limit L
 * per window W admits a burst of L and then one request every W/L. Check-and-consume is synchronous, so
 * N concurrent requests against a limit L let exactly L through.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the limit is fully restored (ms since the epoch). */
  resetAt: number;
  /** How long until one more request would be allowed (ms); 0 when allowed. */
  retryAfterMs: number;
  windowSeconds: number;
}

export interface RateLimiterOptions {
  /** Bound on tracked identities; the least recently touched are forgotten first. */
  maxEntries?: number;
}

export function rateLimiter(clock: () => number, options: RateLimiterOptions = {}) {
  const maxEntries = options.maxEntries ?? 1_000_000;
  // A Map keeps insertion order: re-inserting on use makes its first entry the least recently used.
  const tat = new Map<string, number>();
  // Time here only moves forward. A wall clock stepped back (NTP, a restored VM) would otherwise turn
  // every recent request into debt as long as the step: one failed verification, then an hour back,
  // and the address was refused for an hour. Reset times are still reported in wall-clock time.
  let lastWall = clock();
  let elapsed = lastWall;
  const forwardOnly = (wall: number): number => {
    if (wall > lastWall) elapsed += wall - lastWall;
    lastWall = wall;
    return elapsed;
  };

  const evaluate = (id: string, limit: number, windowSeconds: number, consume: boolean): RateDecision => {
    const wall = clock();
    const now = forwardOnly(wall);
    const interval = (windowSeconds * 1000) / limit;
    const tolerance = interval * (limit - 1);
    const current = Math.max(tat.get(id) ?? now, now);
    if (current - now > tolerance) {
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetAt: Math.ceil(wall + (current - now)),
        retryAfterMs: Math.ceil(current - tolerance - now),
        windowSeconds,
      };
    }
    const next = current + interval;
    if (consume) {
      tat.delete(id);
      tat.set(id, next);
      if (tat.size > maxEntries) tat.delete(tat.keys().next().value as string);
    }
    const after = consume ? next : current;
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, Math.floor((now + tolerance - after) / interval) + 1),
      resetAt: Math.ceil(wall + (after - now)),
      retryAfterMs: 0,
      windowSeconds,
    };
  };

  return {
    /** Admits one request if the identity is within its limit, and counts it. */
    consume: (id: string, limit: number, windowSeconds: number) => evaluate(id, limit, windowSeconds, true),
    /** Reports without counting. */
    peek: (id: string, limit: number, windowSeconds: number) => evaluate(id, limit, windowSeconds, false),
    /**
     * What `peek` would report if it refused, or null: without building a decision for an identity that
     * has nothing against it, which is every caller of the failed-verification limit that has not failed.
     */
    refusal(id: string, limit: number, windowSeconds: number): RateDecision | null {
      if (!tat.has(id)) {
        forwardOnly(clock()); // time is observed exactly as `peek` observes it
        return null;
      }
      const decision = evaluate(id, limit, windowSeconds, false);
      return decision.allowed ? null : decision;
    },
    reset: (id: string) => void tat.delete(id),
    size: () => tat.size,
  };
}
export type RateLimiter = ReturnType<typeof rateLimiter>;
