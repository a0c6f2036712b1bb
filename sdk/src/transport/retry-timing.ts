/** Statuses that mean "the same request may succeed later"; every other 4xx is final. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** A server's wait is honoured only up to this; a longer one is not worth blocking a call on. */
export const MAX_RETRY_AFTER_MS = 60_000;

export interface BackoffPolicy {
  /** The cap of the first retry's wait. */
  initialDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 8_000 };

/**
 * Exponential backoff with full jitter: a uniform wait in [0, min(cap, initial × 2^retry)).
 * Full jitter spreads clients that failed together, so they do not all come back at once.
 * `retry` counts from 0 for the first retry.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * How long the server asked to wait, in milliseconds: `retry-after-ms` (OpenAI's and Azure's header)
 * first, then `Retry-After` as delay-seconds or an HTTP date. `null` when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value)) return Math.max(0, value);
  }
  const header = headers.get('retry-after');
  if (header === null || header.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
