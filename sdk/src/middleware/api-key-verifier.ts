import type { KeyScope, VerifyCode, VerifyKeyResult } from '../client/api-types.js';
import { isWellFormedKey } from './key-format.js';
import type { RateLimitState } from './rate-limit-headers.js';

/**
 * The caller's key, once Keyledger accepted it: who it belongs to and what it may do.
 *
 * @example
 * ```ts
 * const key: VerifiedApiKey = { key_id: 'key_1', user_id: 'usr_1', scope: 'query_only', expires_at: null };
 * ```
 */
export interface VerifiedApiKey {
  key_id: string;
  user_id: string;
  scope: KeyScope;
  /** ISO-8601, or `null` for a key that never expires. */
  expires_at: string | null;
}

/** What a remote verification returned, with the server's Retry-After when it refused. */
export interface RemoteVerification {
  result: VerifyKeyResult;
  retryAfterMs: number | null;
}

export type RemoteVerify = (
  input: { key: string; scope?: KeyScope; endpoint: string },
  clientIp: string | null,
) => Promise<RemoteVerification>;

export type ApiKeyDecision =
  | { ok: true; key: VerifiedApiKey; rate: RateLimitState | null }
  | {
      ok: false;
      status: 401 | 403 | 429 | 503;
      code: string;
      message: string;
      rate: RateLimitState | null;
      /** Seconds, for Retry-After on a 429 or 503. */
      retryAfter: number | null;
      /** Keyledger's verdict (REVOKED, EXPIRED, ...) behind a 401, as Keyledger's own routes give it. */
      reason: VerifyCode | null;
    };

export interface ApiKeyVerifierOptions {
  verify: RemoteVerify;
  scope?: KeyScope | undefined;
  /** How long a positive answer may be reused; 0 asks Keyledger before admitting every request. */
  cacheTtlMs: number;
  /** Bound on remembered keys; the least recently verified are forgotten first. */
  maxEntries: number;
  clock: () => number;
  onError?: ((error: unknown) => void) | undefined;
}

/** What this process knows about one key, by the SHA-256 of the key (the plaintext is not kept). */
interface KeyState {
  key: VerifiedApiKey;
  /** The rate state of the answer the server processed last (see `isLater`). */
  rate: RateLimitState | null;
  /** Until when the positive answer may be reused: the cache TTL, and never past the key's expiry. */
  freshUntil: number;
}

const REFUSALS: Record<
  Exclude<VerifyCode, 'VALID'>,
  { status: 401 | 403 | 429; code: string; message: string }
> = {
  MALFORMED: { status: 401, code: 'INVALID_API_KEY', message: 'the API key is malformed' },
  NOT_FOUND: { status: 401, code: 'INVALID_API_KEY', message: 'the API key is not valid' },
  REVOKED: { status: 401, code: 'INVALID_API_KEY', message: 'the API key has been revoked' },
  EXPIRED: { status: 401, code: 'INVALID_API_KEY', message: 'the API key has expired' },
  INSUFFICIENT_SCOPE: {
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    message: 'the API key’s scope does not allow this',
  },
  RATE_LIMITED: {
    status: 429,
    code: 'RATE_LIMITED',
    message: 'the API key’s rate limit is exhausted; retry later',
  },
};

/**
 * Decides whether a request's API key is let through. Every admitted request is verified by
 * Keyledger, which therefore counts every use and enforces the rate limit; the cache only decides
 * whether the request has to wait for that answer.
 *
 * - No fresh positive answer for the key: the request waits for Keyledger's verdict.
 * - A fresh positive answer (younger than `cacheTtlMs`), and this process's estimate of the key's
 *   remaining allowance is above zero: the request goes through at once, and its verification is sent
 *   alongside. A negative verdict drops the cached answer, so the next request waits and is refused.
 *
 * The estimate is the `remaining` of the answer Keyledger processed last, less every verification of
 * the key still in flight from this process. Any use the server counted after that answer is one of
 * those in flight (or its answer would be the last processed), so the estimate never exceeds the
 * true allowance: one process never admits more than the limit. Which answer was processed last is
 * read from the server's own clock: the limiter's `reset` (GCRA's theoretical arrival time) only
 * grows with each use, whatever order the answers arrive in.
 *
 * Bounds this gives. Revocation: a revoked key is refused from the first request whose verification
 * started after the revocation committed and has come back, and in any case once `cacheTtlMs` has
 * passed; only requests arriving within one verification round-trip (or, for a key used less often
 * than that, within `cacheTtlMs`) can still get through. Rate limits: processes sharing a key can
 * together exceed the limit by at most what each admits within one verification round-trip after the
 * limit is reached, since each only learns of the others' uses from Keyledger's answers.
 */
export function apiKeyVerifier(options: ApiKeyVerifierOptions) {
  const states = new Map<string, KeyState>();
  // Verifications sent and not yet answered, per key: each may already have used up allowance.
  const inFlight = new Map<string, number>();

  const remember = (id: string, state: KeyState) => {
    states.delete(id);
    states.set(id, state);
    if (states.size > options.maxEntries) states.delete(states.keys().next().value as string);
  };

  const estimate = (id: string, rate: RateLimitState | null): RateLimitState | null =>
    rate && { ...rate, remaining: Math.max(0, rate.remaining - (inFlight.get(id) ?? 0)) };

  /** Sends one verification, keeping the in-flight count and the cached state up to date. */
  const send = async (id: string, key: string, endpoint: string, clientIp: string | null) => {
    inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
    try {
      const answer = await options.verify(
        { key, endpoint, ...(options.scope && { scope: options.scope }) },
        clientIp,
      );
      settle(id, answer.result);
      return answer;
    } catch (error) {
      // Could not confirm: make the next request wait for a verdict rather than trust the cache.
      states.delete(id);
      throw error;
    } finally {
      const left = (inFlight.get(id) ?? 1) - 1;
      if (left > 0) inFlight.set(id, left);
      else inFlight.delete(id);
    }
  };

  const settle = (id: string, result: VerifyKeyResult) => {
    const verified = verifiedKey(result);
    if (!verified) return void states.delete(id);
    if (options.cacheTtlMs <= 0) return;
    const now = options.clock();
    const expiresAt = result.expires_at === null ? Infinity : Date.parse(result.expires_at);
    const state = states.get(id);
    if (!state || now >= state.freshUntil) {
      const freshUntil = Math.min(now + options.cacheTtlMs, expiresAt);
      const rate = state && !isLater(result.ratelimit, state.rate) ? state.rate : result.ratelimit;
      return remember(id, { key: verified, rate, freshUntil });
    }
    if (isLater(result.ratelimit, state.rate)) state.rate = result.ratelimit;
  };

  const verifyRemotely = async (
    id: string,
    key: string,
    endpoint: string,
    clientIp: string | null,
  ): Promise<ApiKeyDecision> => {
    let answer: RemoteVerification;
    try {
      answer = await send(id, key, endpoint, clientIp);
    } catch (error) {
      options.onError?.(error);
      return {
        ok: false,
        status: 503,
        code: 'VERIFICATION_UNAVAILABLE',
        message: 'the API key could not be verified; retry later',
        rate: null,
        retryAfter: 1,
        reason: null,
      };
    }
    const { result } = answer;
    const verified = verifiedKey(result);
    if (!verified) {
      const code = result.code === 'VALID' ? 'NOT_FOUND' : result.code;
      const refusal = REFUSALS[code];
      const retryAfter =
        refusal.status === 429 ? retryAfterSeconds(answer.retryAfterMs, result.ratelimit) : null;
      return {
        ok: false,
        ...refusal,
        rate: result.ratelimit,
        retryAfter,
        reason: refusal.status === 401 ? code : null,
      };
    }
    return { ok: true, key: verified, rate: result.ratelimit };
  };

  return {
    /** Decides for one request. `key` is the bearer credential, or `null` when there was none. */
    async decide(
      key: string | null,
      endpoint: string,
      clientIp: string | null = null,
    ): Promise<ApiKeyDecision> {
      if (key === null) {
        return refuse(401, 'UNAUTHENTICATED', 'an API key is required: Authorization: Bearer <key>', null);
      }
      // The checksum is public: a mistyped or made-up key is refused without a round-trip, and does
      // not count against this service's address in Keyledger's failed-verification limit.
      if (!isWellFormedKey(key))
        return refuse(401, 'INVALID_API_KEY', 'the API key is malformed', 'MALFORMED');
      const id = await fingerprint(key);
      const state = states.get(id);
      if (state && options.clock() < state.freshUntil) {
        const left = estimate(id, state.rate);
        if (left === null || left.remaining > 0) {
          // Admitted now; the verification goes out behind it and its verdict updates the cache.
          void send(id, key, endpoint, clientIp).catch((error: unknown) => options.onError?.(error));
          return { ok: true, key: state.key, rate: estimate(id, state.rate) };
        }
      }
      return verifyRemotely(id, key, endpoint, clientIp);
    },
    /** How many keys are remembered (for tests and metrics). */
    size: () => states.size,
  };
}

function verifiedKey(result: VerifyKeyResult): VerifiedApiKey | null {
  if (!result.valid || result.key_id === null || result.user_id === null || result.scope === null)
    return null;
  return {
    key_id: result.key_id,
    user_id: result.user_id,
    scope: result.scope,
    expires_at: result.expires_at,
  };
}

/** Whether `next` was processed by the server after `current`: its limiter state is further along. */
function isLater(next: RateLimitState | null, current: RateLimitState | null): boolean {
  if (next === null) return false;
  if (current === null) return true;
  return next.reset > current.reset || (next.reset === current.reset && next.remaining < current.remaining);
}

export type ApiKeyVerifier = ReturnType<typeof apiKeyVerifier>;

function refuse(status: 401, code: string, message: string, reason: VerifyCode | null): ApiKeyDecision {
  return { ok: false, status, code, message, rate: null, retryAfter: null, reason };
}

function retryAfterSeconds(retryAfterMs: number | null, rate: RateLimitState | null): number {
  if (retryAfterMs !== null) return Math.max(1, Math.ceil(retryAfterMs / 1000));
  // Without the server's figure: one request's share of the window, when the next one fits again.
  if (rate) return Math.max(1, Math.ceil(rate.window / rate.limit));
  return 1;
}

const encoder = new TextEncoder();

async function fingerprint(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
