import { errorFromHttp } from '../errors/error-from-http.js';
import { ConnectionError, KeyledgerError, TimeoutError } from '../errors/keyledger-error.js';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  type BackoffPolicy,
} from './retry-timing.js';

/**
 * The subset of `fetch` the SDK needs; the global `fetch` and undici's fit it.
 *
 * @example
 * ```ts
 * const logged: FetchLike = (url, init) => {
 *   console.log(init?.method ?? 'GET', url);
 *   return fetch(url, init);
 * };
 * const keyledger = createKeyledger({ baseUrl, fetch: logged });
 * ```
 */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * How `retryingFetch` retries.
 *
 * @example
 * ```ts
 * const options: RetryingFetchOptions = { maxRetries: 3, timeoutMs: 5_000, onRetry: (e) => console.warn(e) };
 * ```
 */
export interface RetryingFetchOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Each attempt's own limit, from sending the request to reading the last byte of the answer. */
  timeoutMs: number;
  fetch?: FetchLike | undefined;
  backoff?: BackoffPolicy | undefined;
  /** Uniform in [0, 1); injectable so tests can pin the jitter. */
  random?: (() => number) | undefined;
  /** Called before each retry, with the wait chosen and the reason; for logging. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/**
 * Why and when an attempt will be repeated.
 *
 * @example
 * ```ts
 * const onRetry = (event: RetryEvent) =>
 *   console.warn(`retry ${event.retry} in ${event.delayMs} ms after ${event.status ?? event.error?.code}`);
 * ```
 */
export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  /** The status that caused it, or `null` for a network failure or timeout. */
  status: number | null;
  error: KeyledgerError | null;
}

// A request that changes state is repeated only when the server can recognise the repeat.
const isSafeToRepeat = (method: string, headers: Headers): boolean =>
  method === 'GET' || method === 'HEAD' || headers.has('idempotency-key');

const hasNullBody = (status: number) => status === 204 || status === 205 || status === 304;

type Attempt = { ok: true; response: Response; body: string } | { ok: false; error: KeyledgerError };

/**
 * A `fetch` that retries: network failures, per-attempt timeouts, and 408, 429, 500, 502, 503, 504.
 * It never retries another 4xx, and never a request that is not GET or HEAD unless it carries an
 * `Idempotency-Key` (sent unchanged on every attempt) or the connection was refused (nothing sent). It waits with exponential backoff and full
 * jitter, or as long as `Retry-After` / `retry-after-ms` says when that is 0–60 s; a longer server
 * wait ends the call at once. The caller's `signal` cancels the whole call, waits included.
 *
 * The answer is read in full within the attempt's timeout and handed on as a fresh `Response`. A
 * final answer whose body is not JSON (a proxy's HTML 502) becomes a typed error carrying the
 * status, since tRPC could not read it.
 *
 * @example
 * ```ts
 * const fetchWithRetries = retryingFetch({ maxRetries: 2, timeoutMs: 10_000 });
 * const response = await fetchWithRetries('http://127.0.0.1:8000/healthz', { method: 'GET' });
 * ```
 */
export function retryingFetch(options: RetryingFetchOptions): FetchLike {
  const baseFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;

  const attemptOnce = async (
    url: string,
    init: RequestInit,
    outer: AbortSignal | undefined,
  ): Promise<Attempt> => {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
    const signal = outer ? AbortSignal.any([outer, timeout.signal]) : timeout.signal;
    try {
      const response = await baseFetch(url, { ...init, signal });
      const body = await response.text();
      return { ok: true, response, body };
    } catch (cause) {
      if (outer?.aborted) throw outer.reason;
      if (timeout.signal.aborted) {
        const message = `no complete answer from Keyledger within ${options.timeoutMs} ms`;
        return {
          ok: false,
          error: new TimeoutError({ message, status: null, code: 'TIMEOUT', requestId: null, cause }),
        };
      }
      const message = `could not reach Keyledger: ${describeCause(cause)}`;
      return {
        ok: false,
        error: new ConnectionError({
          message,
          status: null,
          code: 'CONNECTION_ERROR',
          requestId: null,
          cause,
        }),
      };
    } finally {
      clearTimeout(timer);
    }
  };

  return async (url, init = {}) => {
    const outer = init.signal ?? undefined;
    const method = (init.method ?? 'GET').toUpperCase();
    const repeatable = isSafeToRepeat(method, new Headers(init.headers));

    for (let attempt = 0; ; attempt++) {
      outer?.throwIfAborted();
      const result = await attemptOnce(url, init, outer);
      const retriesLeft = attempt < options.maxRetries;

      if (!result.ok) {
        if (!retriesLeft || !(repeatable || neverSent(result.error))) throw result.error;
        await pause(attempt, backoffDelay(attempt, backoff, random), null, result.error);
        continue;
      }

      const { response, body } = result;
      const retryAfterMs = parseRetryAfter(response.headers) ?? retryAfterFromBody(body);
      if (retriesLeft && repeatable && shouldRetryStatus(response.status, body)) {
        if (retryAfterMs !== null && retryAfterMs > MAX_RETRY_AFTER_MS)
          return finish(response, body, retryAfterMs);
        const delay = retryAfterMs ?? backoffDelay(attempt, backoff, random);
        await pause(attempt, delay, response.status, null);
        continue;
      }
      return finish(response, body, retryAfterMs);
    }

    async function pause(
      attempt: number,
      delayMs: number,
      status: number | null,
      error: KeyledgerError | null,
    ) {
      options.onRetry?.({ retry: attempt + 1, delayMs, status, error });
      await sleep(delayMs, outer);
    }
  };
}

/**
 * A refused connection carried no byte of the request, so even a call that is not safe to repeat can
 * be sent again: it never happened. Any other failure may have reached the server.
 */
function neverSent(error: KeyledgerError): boolean {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 3 && typeof cause === 'object' && cause !== null; depth++) {
    if ((cause as { code?: unknown }).code === 'ECONNREFUSED') return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * 409 IDEMPOTENCY_IN_PROGRESS is the one 4xx retried: it says an earlier attempt of this very call is
 * still running on the server (our attempt timed out, the server did not), so asking again shortly
 * returns that attempt's result instead of failing a call that is in fact succeeding.
 */
function shouldRetryStatus(status: number, body: string): boolean {
  if (RETRYABLE_STATUSES.has(status)) return true;
  return status === 409 && body.includes('"IDEMPOTENCY_IN_PROGRESS"');
}

function finish(response: Response, body: string, retryAfterMs: number | null): Response {
  if (hasNullBody(response.status)) return new Response(null, response);
  if (parseJson(body) === undefined) {
    const requestId = response.headers.get('x-request-id');
    const message = `Keyledger answered HTTP ${response.status} with a body that is not JSON`;
    if (!response.ok) throw errorFromHttp({ status: response.status, message, requestId, retryAfterMs });
    throw new KeyledgerError({ status: response.status, code: 'UNEXPECTED_RESPONSE', message, requestId });
  }
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Keyledger's tRPC errors also carry the wait in `error.data.retryAfterSeconds`. */
function retryAfterFromBody(body: string): number | null {
  const seconds = readPath(parseJson(body), ['error', 'data', 'retryAfterSeconds']);
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.max(0, seconds * 1000) : null;
}

function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
    return `${cause.message}${inner}`;
  }
  return String(cause);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
