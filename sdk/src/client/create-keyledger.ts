import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { PROCEDURES } from '../generated/api-types.js';
import { retryingFetch, type FetchLike } from '../transport/retrying-fetch.js';
import { errorFromTrpc } from './error-from-trpc.js';
import type { CallOptions, KeyledgerClient, ResponseInfo } from './keyledger-client.js';

/**
 * How to reach Keyledger, and how hard to try.
 *
 * @example
 * ```ts
 * const options: KeyledgerOptions = {
 *   baseUrl: 'https://keys.example.com',
 *   accessToken: () => process.env.KEYLEDGER_TOKEN,
 *   maxRetries: 3,
 *   timeoutMs: 5_000,
 * };
 * ```
 */
export interface KeyledgerOptions {
  /** Where the server listens, e.g. `http://127.0.0.1:8000`; a path prefix is kept. */
  baseUrl: string | URL;
  /** The access token from `auth.signIn`, or a function read before every call. */
  accessToken?: string | (() => string | undefined | Promise<string | undefined>) | undefined;
  /** Retries after the first attempt, for network failures, timeouts, 408, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** Each attempt's limit in milliseconds, until the whole answer is read. Default 10,000. */
  timeoutMs?: number | undefined;
  /** The `fetch` to use; the global one by default. */
  fetch?: FetchLike | undefined;
  /** Extra headers sent on every call, e.g. for a proxy in front of Keyledger. */
  headers?: Record<string, string> | undefined;
}

const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 10_000;

// The server de-duplicates these mutations by Idempotency-Key; verify.key it does not (it runs on the
// hot path and writes nothing synchronously), so verify.key is never sent twice once it may have landed.
const NOT_IDEMPOTENT: ReadonlySet<string> = new Set(['verify.key']);

/**
 * Creates a typed Keyledger client over tRPC (one HTTP request per call, so each call has its own
 * status and headers). Calls retry network failures, timeouts, 408, 429 and 5xx with exponential
 * backoff and jitter, honour `Retry-After`, send mutations with an idempotency key made once per call,
 * and throw typed errors (`KeyledgerError` and its subclasses).
 *
 * @example
 * ```ts
 * import { createKeyledger, NotFoundError } from '@keyledger/sdk';
 *
 * const keyledger = createKeyledger({ baseUrl: 'http://127.0.0.1:8000', accessToken: process.env.KEYLEDGER_TOKEN });
 * const { key, key_id } = await keyledger.keys.generate({ name: 'ci', scope: 'query_only', expires_in_days: 30 });
 * const usage = await keyledger.usage.key({ key_id, days: 7 });
 * await keyledger.keys.revoke({ key_id }).catch((error) => {
 *   if (!(error instanceof NotFoundError)) throw error;
 * });
 * ```
 */
export function createKeyledger(options: KeyledgerOptions): KeyledgerClient {
  const base = String(options.baseUrl);
  const url = new URL('trpc', base.endsWith('/') ? base : `${base}/`).toString();
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(maxRetries) || maxRetries < 0)
    throw new RangeError('maxRetries must be an integer ≥ 0');
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');

  async function call(
    path: string,
    type: 'query' | 'mutation',
    input: unknown,
    callOptions: CallOptions = {},
  ) {
    const token =
      typeof options.accessToken === 'function' ? await options.accessToken() : options.accessToken;
    const idempotencyKey =
      callOptions.idempotencyKey ??
      (type === 'mutation' && !NOT_IDEMPOTENT.has(path) ? crypto.randomUUID() : null);
    const headers: Record<string, string> = { ...options.headers, ...callOptions.headers };
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;

    let attempts = 0;
    let last: Response | undefined;
    const transport = retryingFetch({
      maxRetries: callOptions.maxRetries ?? maxRetries,
      timeoutMs: callOptions.timeoutMs ?? timeoutMs,
      fetch: (target, init) => {
        attempts++;
        return (options.fetch ?? globalThis.fetch)(target, init);
      },
    });
    // A link per call: the transport's settings and its record of the answer belong to this call only.
    const client = createTRPCUntypedClient({
      links: [
        httpLink({
          url,
          headers,
          fetch: async (target, init) => {
            last = await transport(urlOf(target), init);
            return last;
          },
        }),
      ],
    });
    const report = () => {
      if (!last || !callOptions.onResponse) return;
      const info: ResponseInfo = {
        status: last.status,
        headers: last.headers,
        requestId: last.headers.get('x-request-id'),
        attempts,
      };
      callOptions.onResponse(info);
    };
    const request = { signal: callOptions.signal };
    try {
      const result =
        type === 'query'
          ? await client.query(path, input, request)
          : await client.mutation(path, input, request);
      report();
      return result;
    } catch (error) {
      report();
      throw errorFromTrpc(error, callOptions.signal);
    }
  }

  const client: Record<string, unknown> = {
    withAccessToken: (accessToken: string) => createKeyledger({ ...options, accessToken }),
  };
  for (const [namespace, procedures] of Object.entries(PROCEDURES)) {
    const methods: Record<string, unknown> = {};
    for (const [name, procedure] of Object.entries(procedures)) {
      const path = `${namespace}.${name}`;
      methods[name] =
        procedure.input === 'none'
          ? (callOptions?: CallOptions) => call(path, procedure.type, undefined, callOptions)
          : // A strict zod object rejects `undefined`; an omitted all-optional input means `{}`.
            (input?: unknown, callOptions?: CallOptions) =>
              call(path, procedure.type, input ?? {}, callOptions);
    }
    client[namespace] = methods;
  }
  return client as unknown as KeyledgerClient;
}

const urlOf = (target: RequestInfo | URL): string =>
  typeof target === 'string' ? target : target instanceof URL ? target.toString() : target.url;
