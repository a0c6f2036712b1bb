import type { KeyledgerApi } from '../generated/api-types.js';
import type { KeyledgerInputs as In, KeyledgerOutputs as Out } from './api-types.js';

/**
 * Options for one call; each overrides the client's setting for that call only.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 5_000);
 * await keyledger.keys.list({}, { signal: controller.signal, timeoutMs: 2_000, maxRetries: 0 });
 * ```
 */
export interface CallOptions {
  /** Cancels the whole call, retries and waits included; the call rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Each attempt's limit in milliseconds. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt. */
  maxRetries?: number | undefined;
  /**
   * For mutations: the `Idempotency-Key` to send. The SDK makes a fresh one per call when you give
   * none; give your own to make a repeat of the same call after a crash of your process safe too.
   */
  idempotencyKey?: string | undefined;
  /** Extra headers for this call, on top of the client's. */
  headers?: Record<string, string> | undefined;
  /** Called with the final HTTP answer's status and headers (rate-limit headers, `X-Request-Id`). */
  onResponse?: ((response: ResponseInfo) => void) | undefined;
}

/**
 * The final HTTP answer of a call.
 *
 * @example
 * ```ts
 * await keyledger.verify.key({ key }, { onResponse: (r) => console.log(r.status, r.requestId, r.attempts) });
 * ```
 */
export interface ResponseInfo {
  status: number;
  headers: Headers;
  /** `X-Request-Id`, or `null` if the server sent none. */
  requestId: string | null;
  /** How many attempts the call took, retries included. */
  attempts: number;
}

/**
 * A typed client for every Keyledger procedure, made by `createKeyledger`. Inputs and outputs are the
 * server's zod schemas, as JSON carries them. Every method takes an optional `CallOptions` last and
 * throws a `KeyledgerError` subclass on failure.
 *
 * @example
 * ```ts
 * const keyledger = createKeyledger({ baseUrl: 'http://127.0.0.1:8000', accessToken });
 * const { key, key_id } = await keyledger.keys.generate({ name: 'ci', scope: 'query_only' });
 * ```
 */
export interface KeyledgerClient {
  auth: {
    /**
     * Creates an account (when the server allows open sign-up).
     * @example
     * ```ts
     * const user = await keyledger.auth.register({ username: 'ada', password: 'correct horse battery' });
     * ```
     */
    register(input: In['auth']['register'], options?: CallOptions): Promise<Out['auth']['register']>;
    /**
     * Exchanges a username and password for an access token.
     * @example
     * ```ts
     * const { access_token } = await keyledger.auth.signIn({ username: 'ada', password });
     * const asAda = keyledger.withAccessToken(access_token);
     * ```
     */
    signIn(input: In['auth']['signIn'], options?: CallOptions): Promise<Out['auth']['signIn']>;
    /**
     * Revokes the client's access token.
     * @example
     * ```ts
     * await asAda.auth.signOut();
     * ```
     */
    signOut(options?: CallOptions): Promise<Out['auth']['signOut']>;
    /**
     * The user the access token belongs to.
     * @example
     * ```ts
     * const { username, role } = await keyledger.auth.me();
     * ```
     */
    me(options?: CallOptions): Promise<Out['auth']['me']>;
  };
  keys: {
    /**
     * One's own keys, newest first, a page at a time (`next_cursor` fetches the next page). Admins may
     * pass `user_id` or `all_users: true`.
     * @example
     * ```ts
     * let page = await keyledger.keys.list({ status: 'active', limit: 50 });
     * while (page.next_cursor) page = await keyledger.keys.list({ cursor: page.next_cursor });
     * ```
     */
    list(input?: In['keys']['list'], options?: CallOptions): Promise<Out['keys']['list']>;
    /**
     * Creates a key and returns its secret in `key`, the only time it is ever shown. Retried safely:
     * a retried generate never creates two keys.
     * @example
     * ```ts
     * const created = await keyledger.keys.generate({
     *   name: 'search backend',
     *   scope: 'query_only',
     *   expires_in_days: 90,
     *   rate_limit: 1_000,
     * });
     * console.log(created.key_id, created.key);
     * ```
     */
    generate(input: In['keys']['generate'], options?: CallOptions): Promise<Out['keys']['generate']>;
    /**
     * One key; with `as_of` (ISO-8601), the key as it was at that time, folded from its event log.
     * @example
     * ```ts
     * const now = await keyledger.keys.get({ key_id });
     * const lastWeek = await keyledger.keys.get({ key_id, as_of: '2025-01-01T00:00:00Z' });
     * ```
     */
    get(input: In['keys']['get'], options?: CallOptions): Promise<Out['keys']['get']>;
    /**
     * Renames a key or changes its description; nothing else can change.
     * @example
     * ```ts
     * await keyledger.keys.update({ key_id, name: 'search backend (prod)' });
     * ```
     */
    update(input: In['keys']['update'], options?: CallOptions): Promise<Out['keys']['update']>;
    /**
     * Revokes a key at once; revoking twice is harmless.
     * @example
     * ```ts
     * await keyledger.keys.revoke({ key_id, reason: 'leaked in a CI log' });
     * ```
     */
    revoke(input: In['keys']['revoke'], options?: CallOptions): Promise<Out['keys']['revoke']>;
    /**
     * Issues a new secret for the same key id and settings. The old secret stops at once, or after
     * `grace_period_seconds` (up to 7 days) so deployments can roll over.
     * @example
     * ```ts
     * const rolled = await keyledger.keys.regenerate({ key_id, grace_period_seconds: 3600 });
     * console.log(rolled.key, rolled.previous_key_expires_at);
     * ```
     */
    regenerate(input: In['keys']['regenerate'], options?: CallOptions): Promise<Out['keys']['regenerate']>;
    /**
     * The scopes a key can have, what each allows, and which need an admin.
     * @example
     * ```ts
     * const { scopes } = await keyledger.keys.scopes();
     * ```
     */
    scopes(options?: CallOptions): Promise<Out['keys']['scopes']>;
  };
  usage: {
    /**
     * One key's usage over `days` (1–365, default 30): totals, daily series, endpoints.
     * @example
     * ```ts
     * const usage = await keyledger.usage.key({ key_id, days: 7 });
     * console.log(usage.total, usage.success_rate);
     * ```
     */
    key(input: In['usage']['key'], options?: CallOptions): Promise<Out['usage']['key']>;
    /**
     * Usage across one's keys, with alerts (high error rate, rate limited, expiring soon, unused).
     * @example
     * ```ts
     * const { alerts } = await keyledger.usage.overview({ days: 30 });
     * ```
     */
    overview(input?: In['usage']['overview'], options?: CallOptions): Promise<Out['usage']['overview']>;
  };
  audit: {
    /**
     * A key's audit trail from the event log: who did what, when, and from where.
     * @example
     * ```ts
     * const { events } = await keyledger.audit.keyEvents({ key_id });
     * for (const e of events) console.log(e.recorded_at, e.type, e.actor?.username);
     * ```
     */
    keyEvents(input: In['audit']['keyEvents'], options?: CallOptions): Promise<Out['audit']['keyEvents']>;
  };
  verify: {
    /**
     * Checks an API key (no access token needed: the key is the credential), optionally for a scope
     * and an endpoint, and counts one use against its rate limit. Not retried once the request may
     * have reached the server, since the server does not de-duplicate verifications.
     * @example
     * ```ts
     * const result = await keyledger.verify.key({ key, scope: 'query_only', endpoint: '/search' });
     * if (!result.valid) throw new Error(result.code);
     * ```
     */
    key(input: In['verify']['key'], options?: CallOptions): Promise<Out['verify']['key']>;
  };
  /**
   * The same client, authenticated with another access token (after `auth.signIn`, say).
   * @example
   * ```ts
   * const { access_token } = await keyledger.auth.signIn({ username, password });
   * const signedIn = keyledger.withAccessToken(access_token);
   * await signedIn.keys.list();
   * ```
   */
  withAccessToken(accessToken: string): KeyledgerClient;
}

/** What a generated procedure must look like as a client method. */
type MethodOf<P> = P extends { input: infer I; output: infer O }
  ? [I] extends [void]
    ? (options?: CallOptions) => Promise<O>
    : Record<string, never> extends I
      ? (input?: I, options?: CallOptions) => Promise<O>
      : (input: I, options?: CallOptions) => Promise<O>
  : never;

type Methods = { [N in keyof KeyledgerApi]: { [P in keyof KeyledgerApi[N]]: MethodOf<KeyledgerApi[N][P]> } };
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * Fails to compile when the hand-written interface above (kept for its documentation) and the
 * procedures generated from the server differ in any name, input or output.
 */
type _ClientMatchesApi = Assert<Equal<Omit<KeyledgerClient, 'withAccessToken'>, Methods>>;
type Assert<T extends true> = T;
