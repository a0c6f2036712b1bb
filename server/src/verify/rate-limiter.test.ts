import { describe, expect, it } from 'vitest';
import { rateLimiter } from './rate-limiter.js';

describe('GCRA rate limiter', () => {
  it('admits a burst of exactly the limit, then refuses with a retry time', () => {
    let now = 1_000_000;
    const limiter = rateLimiter(() => now);
    const decisions = Array.from({ length: 12 }, () => limiter.consume('k', 10, 3600));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.map((d) => d.remaining).slice(0, 10)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const refused = decisions[11];
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 360_000 });
    now += 360_000;
    expect(limiter.consume('k', 10, 3600).allowed).toBe(true);
    expect(limiter.consume('k', 10, 3600).allowed).toBe(false);
  });

  it('restores the whole limit after one window', () => {
    let now = 0;
    const limiter = rateLimiter(() => now);
    for (let i = 0; i < 5; i++) limiter.consume('k', 5, 60);
    now += 60_000;
    expect(limiter.peek('k', 5, 60).remaining).toBe(5);
  });

  it('reports a refusal exactly when peek refuses, and nothing otherwise', () => {
    let now = 0;
    const limiter = rateLimiter(() => now);
    expect(limiter.refusal('k', 2, 60)).toBeNull();
    limiter.consume('k', 2, 60);
    expect(limiter.refusal('k', 2, 60)).toBeNull();
    limiter.consume('k', 2, 60);
    expect(limiter.refusal('k', 2, 60)).toEqual(limiter.peek('k', 2, 60));
    expect(limiter.refusal('k', 2, 60)).toMatchObject({ allowed: false, retryAfterMs: 30_000 });
    now += 30_000;
    expect(limiter.refusal('k', 2, 60)).toBeNull();
  });

  it('keeps identities apart and peeks without counting', () => {
    const limiter = rateLimiter(() => 0);
    limiter.consume('a', 1, 60);
    expect(limiter.peek('a', 1, 60).allowed).toBe(false);
    expect(limiter.peek('b', 1, 60)).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.consume('b', 1, 60).allowed).toBe(true);
  });

  it('stays correct when the clock steps back an hour', () => {
    let now = 10 * 3_600_000;
    const limiter = rateLimiter(() => now);
    for (let i = 0; i < 3; i++) limiter.consume('k', 3, 3600);
    now -= 3_600_000;
    expect(limiter.consume('k', 3, 3600).allowed).toBe(false);
  });

  it('forgets the least recently used identity beyond its bound', () => {
    const limiter = rateLimiter(() => 0, { maxEntries: 2 });
    limiter.consume('a', 1, 60);
    limiter.consume('b', 1, 60);
    limiter.consume('c', 1, 60);
    expect(limiter.size()).toBe(2);
    expect(limiter.peek('a', 1, 60).allowed).toBe(true);
  });
});
