import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from './retry-timing.js';

describe('backoffDelay', () => {
  it('doubles the ceiling from 0.5 s per retry and caps it at 8 s', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6].map((retry) =>
      backoffDelay(retry, DEFAULT_BACKOFF, () => 0.999_999),
    );
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 7999, 7999]);
  });

  it('spreads waits over the whole range (full jitter)', () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(0);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(2000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '1' }), now)).toBe(1000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0' }), now)).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    const later = new Date(now + 3000).toUTCString();
    expect(parseRetryAfter(new Headers({ 'retry-after': later }), now)).toBe(3000);
  });

  it('prefers retry-after-ms', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '5', 'retry-after-ms': '250' }), now)).toBe(250);
  });

  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(new Headers(), now)).toBeNull();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeNull();
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': new Date(now - 5000).toUTCString() }), now)).toBe(0);
  });
});
