import type { KeyScope } from '../client/api-types.js';
import { createKeyledger } from '../client/create-keyledger.js';
import type { KeyledgerClient } from '../client/keyledger-client.js';
import type { FetchLike } from '../transport/retrying-fetch.js';
import { parseRetryAfter } from '../transport/retry-timing.js';
import {
  apiKeyVerifier,
  type ApiKeyDecision,
  type RemoteVerify,
  type VerifiedApiKey,
} from './api-key-verifier.js';
import { rateLimitHeaders } from './rate-limit-headers.js';

/**
 * How `requireApiKey` checks keys.
 *
 * @example
 * ```ts
 * const options: RequireApiKeyOptions = { baseUrl: 'http://127.0.0.1:8000', scope: 'query_only', cacheTtlMs: 2_000 };
 * ```
 */
export interface RequireApiKeyOptions {
  /** The scope a key needs; keys whose scope does not cover it get 403. */
  scope?: KeyScope | undefined;
  /** The endpoint name recorded in the key's usage; by default the request's path. */
  endpoint?: string | undefined;
  /** A client to verify with; or give `baseUrl` and one is made (5 s per attempt, 1 retry). */
  client?: KeyledgerClient | undefined;
  baseUrl?: string | URL | undefined;
  /** With `baseUrl`: the fetch to use. */
  fetch?: FetchLike | undefined;
  /** With `baseUrl`: each attempt's limit. Default 5,000 ms. */
  timeoutMs?: number | undefined;
  /**
   * How long a positive answer lets requests through without waiting for Keyledger, in ms. Default
   * 5,000; at most 60,000; 0 makes every request wait. It bounds how late a revocation can take
   * effect here: see `requireApiKey`.
   */
  cacheTtlMs?: number | undefined;
  /** How many keys to remember at most. Default 10,000. */
  maxEntries?: number | undefined;
  /**
   * Send the caller's address to Keyledger as `X-Forwarded-For` (default true). Keyledger uses it,
   * when it trusts forwarded addresses (`KEYLEDGER_TRUST_PROXY`), to limit failed verifications per
   * caller rather than per protected service.
   */
  forwardClientIp?: boolean | undefined;
  /** Told about every verification that failed to reach Keyledger (the request got 503). */
  onError?: ((error: unknown) => void) | undefined;
  /** The clock, in ms; injectable for tests. */
  clock?: (() => number) | undefined;
}

/**
 * The parts of a node:http / Express request the middleware reads. `IncomingMessage` fits.
 *
 * @example
 * ```ts
 * const req: NodeRequestLike = { headers: { authorization: `Bearer ${key}` }, url: '/search' };
 * ```
 */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  url?: string | undefined;
  socket?: { remoteAddress?: string | undefined } | undefined;
  /** Set by the middleware once the key is accepted. */
  apiKey?: VerifiedApiKey | undefined;
}

/**
 * The parts of a node:http / Express response the middleware writes. `ServerResponse` fits.
 *
 * @example
 * ```ts
 * const handler = (req: NodeRequestLike, res: NodeResponseLike) => guard(req, res, () => res.end('ok'));
 * ```
 */
export interface NodeResponseLike {
  statusCode: number;
  headersSent?: boolean | undefined;
  setHeader(name: string, value: string): unknown;
  end(chunk?: string): unknown;
}

/**
 * The verdict of `guard.check`: either the accepted key and the headers to send, or the refusal ready
 * to return (`response`), in the REST error shape.
 *
 * @example
 * ```ts
 * const result: ApiKeyCheck = await guard.check(request);
 * if (!result.ok) return result.response;
 * console.log(result.key.key_id);
 * ```
 */
export type ApiKeyCheck =
  | { ok: true; key: VerifiedApiKey; headers: Headers }
  | {
      ok: false;
      status: 401 | 403 | 429 | 503;
      error: { code: string; message: string };
      headers: Headers;
      response: Response;
    };

/**
 * What `requireApiKey` returns: a node:http / Express middleware `(req, res, next)`, with `check` for
 * fetch-style servers (`Request` in, verdict out).
 *
 * @example
 * ```ts
 * const guard: ApiKeyGuard = requireApiKey({ baseUrl: 'http://127.0.0.1:8000', scope: 'query_only' });
 * app.use('/api', guard);
 * ```
 */
export interface ApiKeyGuard {
  (req: NodeRequestLike, res: NodeResponseLike, next: (error?: unknown) => void): void;
  /** Checks a fetch `Request`; refusals come with a ready `Response`. */
  check(request: Request, options?: { clientIp?: string | null | undefined }): Promise<ApiKeyCheck>;
}

/**
 * The key `requireApiKey` accepted for this request, for handlers whose request type does not know
 * `req.apiKey` (node:http's `IncomingMessage`, Express's `Request`).
 *
 * @example
 * ```ts
 * app.get('/search', guard, (req, res) => res.json({ user: apiKeyOf(req)?.user_id }));
 * ```
 */
export function apiKeyOf(req: object): VerifiedApiKey | undefined {
  return (req as NodeRequestLike).apiKey;
}

const DEFAULT_CACHE_TTL_MS = 5_000;
const MAX_CACHE_TTL_MS = 60_000;
const MAX_ENDPOINT_LENGTH = 200;

/**
 * Protects a service with Keyledger API keys. It reads `Authorization: Bearer <key>`, has Keyledger
 * verify the key (scope, expiry, revocation, rate limit), sets the rate-limit headers (`RateLimit-Policy`,
 * `RateLimit`, `X-RateLimit-Limit/Remaining/Reset`), puts the key on `req.apiKey`, and otherwise
 * answers 401, 403, 429 (with `Retry-After`) or, when Keyledger cannot be reached, 503, in the REST
 * error shape `{"error": {"code", "message"}}`. A malformed key (bad checksum) is refused locally.
 *
 * Caching: every admitted request is still verified by Keyledger, which counts it in the key's usage
 * and rate limit; a positive answer younger than `cacheTtlMs` (default 5 s) only lets requests through
 * without waiting for that verification, and only while the key's remaining allowance, as Keyledger
 * last reported it less every verification still in flight, is above zero. A negative verdict ends
 * the cached answer at once. So a revoked key stops working here at the latest `cacheTtlMs` after its
 * revocation, and in practice as soon as one verification sent after the revocation has come back; a
 * rate limit is never exceeded by one process, and by several processes sharing a key only by what
 * each admits within one verification round-trip.
 * Set `cacheTtlMs: 0` to make every request wait for Keyledger.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { apiKeyOf, requireApiKey } from '@keyledger/sdk';
 *
 * const guard = requireApiKey({ baseUrl: 'http://127.0.0.1:8000', scope: 'query_only' });
 * createServer((req, res) =>
 *   guard(req, res, () => res.end(JSON.stringify({ hello: apiKeyOf(req)?.user_id }))),
 * ).listen(3000);
 * ```
 */
export function requireApiKey(options: RequireApiKeyOptions): ApiKeyGuard {
  const client = options.client ?? clientFor(options);
  const cacheTtlMs = Math.min(options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS, MAX_CACHE_TTL_MS);
  const clock = options.clock ?? Date.now;
  const forwardClientIp = options.forwardClientIp ?? true;

  const verify: RemoteVerify = async (input, clientIp) => {
    let retryAfterMs: number | null = null;
    const result = await client.verify.key(input, {
      ...(forwardClientIp && clientIp && { headers: { 'x-forwarded-for': clientIp } }),
      onResponse: (response) => (retryAfterMs = parseRetryAfter(response.headers)),
    });
    return { result, retryAfterMs };
  };
  const verifier = apiKeyVerifier({
    verify,
    scope: options.scope,
    cacheTtlMs: Math.max(0, cacheTtlMs),
    maxEntries: options.maxEntries ?? 10_000,
    clock,
    onError: options.onError,
  });

  const endpointFor = (path: string) => (options.endpoint ?? (path || '/')).slice(0, MAX_ENDPOINT_LENGTH);

  const guard = (req: NodeRequestLike, res: NodeResponseLike, next: (error?: unknown) => void): void => {
    const authorization = req.headers['authorization'];
    const key = bearerKey(Array.isArray(authorization) ? authorization[0] : authorization);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    verifier.decide(key, endpointFor(path), req.socket?.remoteAddress ?? null).then(
      (decision) => {
        const { status, headers, body } = answerFor(decision, clock());
        if (decision.ok) {
          headers.forEach((value, name) => res.setHeader(name, value));
          req.apiKey = decision.key;
          next();
          return;
        }
        if (res.headersSent) return next(new Error('requireApiKey: the response was already sent'));
        res.statusCode = status;
        headers.forEach((value, name) => res.setHeader(name, value));
        res.end(body);
      },
      (error: unknown) => next(error),
    );
  };

  const check = async (
    request: Request,
    checkOptions: { clientIp?: string | null | undefined } = {},
  ): Promise<ApiKeyCheck> => {
    const key = bearerKey(request.headers.get('authorization'));
    const decision = await verifier.decide(
      key,
      endpointFor(new URL(request.url).pathname),
      checkOptions.clientIp ?? null,
    );
    const { status, headers, body } = answerFor(decision, clock());
    if (decision.ok) return { ok: true, key: decision.key, headers };
    return {
      ok: false,
      status: decision.status,
      error: { code: decision.code, message: decision.message },
      headers,
      response: new Response(body, { status, headers }),
    };
  };

  return Object.assign(guard, { check });
}

function clientFor(options: RequireApiKeyOptions): KeyledgerClient {
  if (options.baseUrl === undefined) throw new TypeError('requireApiKey needs `client` or `baseUrl`');
  return createKeyledger({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 5_000,
    maxRetries: 1,
  });
}

/** The key from `Authorization: Bearer <key>`; any other scheme or shape counts as no key. */
function bearerKey(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S{1,512})[ \t]*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

/** The status, headers and (for a refusal) REST error body for a decision. */
function answerFor(
  decision: ApiKeyDecision,
  now: number,
): { status: number; headers: Headers; body: string } {
  const headers = new Headers(decision.rate ? rateLimitHeaders(decision.rate, now) : {});
  if (decision.ok) return { status: 200, headers, body: '' };

  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('cache-control', 'no-store');
  if (decision.status === 401) {
    headers.set(
      'www-authenticate',
      decision.code === 'UNAUTHENTICATED' ? 'Bearer' : 'Bearer error="invalid_token"',
    );
  }
  if (decision.status === 403) headers.set('www-authenticate', 'Bearer error="insufficient_scope"');
  const error: { code: string; message: string; details?: Record<string, unknown> } = {
    code: decision.code,
    message: decision.message,
  };
  if (decision.reason !== null) error.details = { reason: decision.reason };
  if (decision.retryAfter !== null) {
    headers.set('retry-after', String(decision.retryAfter));
    error.details = { retry_after: decision.retryAfter };
  }
  return { status: decision.status, headers, body: JSON.stringify({ error }) };
}
