import type { KeyledgerApi } from '../generated/api-types.js';

/**
 * The input of every procedure, by namespace and name, as the server's zod schemas accept it
 * (fields with defaults are optional).
 *
 * @example
 * ```ts
 * const input: KeyledgerInputs['keys']['generate'] = { name: 'ci', scope: 'query_only' };
 * ```
 */
export type KeyledgerInputs = {
  [N in keyof KeyledgerApi]: { [P in keyof KeyledgerApi[N]]: InputOf<KeyledgerApi[N][P]> };
};

/**
 * The output of every procedure, by namespace and name, as the JSON the server sends.
 *
 * @example
 * ```ts
 * function show(key: KeyledgerOutputs['keys']['get']) {
 *   console.log(key.name, key.status, key.usage_count);
 * }
 * ```
 */
export type KeyledgerOutputs = {
  [N in keyof KeyledgerApi]: { [P in keyof KeyledgerApi[N]]: OutputOf<KeyledgerApi[N][P]> };
};

type InputOf<P> = P extends { input: infer I } ? I : never;
type OutputOf<P> = P extends { output: infer O } ? O : never;

/**
 * A key as every call returns it: never its secret nor its hash.
 * @example
 * ```ts
 * const key: KeyObject = await keyledger.keys.get({ key_id });
 * ```
 */
export type KeyObject = KeyledgerOutputs['keys']['get'];

/**
 * A key with its plaintext secret in `key`: only `keys.generate` and `keys.regenerate` return one, once.
 * @example
 * ```ts
 * const created: KeyWithSecret = await keyledger.keys.generate({ name: 'ci' });
 * storeSecretSomewhereSafe(created.key);
 * ```
 */
export type KeyWithSecret = KeyledgerOutputs['keys']['generate'];

/**
 * One of `read_only`, `query_only`, `ingest_only`, `full_access`, `admin`.
 * @example
 * ```ts
 * const scope: KeyScope = 'query_only';
 * ```
 */
export type KeyScope = KeyObject['scope'];

/**
 * One of `active`, `expired`, `revoked`.
 * @example
 * ```ts
 * const onlyActive = await keyledger.keys.list({ status: 'active' satisfies KeyStatus });
 * ```
 */
export type KeyStatus = KeyObject['status'];

/**
 * What `keys.generate` accepts.
 * @example
 * ```ts
 * const input: GenerateKeyInput = { name: 'nightly import', scope: 'ingest_only', expires_in_days: 30 };
 * ```
 */
export type GenerateKeyInput = KeyledgerInputs['keys']['generate'];

/**
 * The answer of `verify.key`: `valid`, a `code` (VALID, MALFORMED, NOT_FOUND, REVOKED, EXPIRED,
 * RATE_LIMITED, INSUFFICIENT_SCOPE), the key's identity and its rate-limit state.
 * @example
 * ```ts
 * const result: VerifyKeyResult = await keyledger.verify.key({ key: apiKey, scope: 'query_only' });
 * if (!result.valid) console.log(result.code);
 * ```
 */
export type VerifyKeyResult = KeyledgerOutputs['verify']['key'];

/**
 * One of VALID, MALFORMED, NOT_FOUND, REVOKED, EXPIRED, RATE_LIMITED, INSUFFICIENT_SCOPE.
 * @example
 * ```ts
 * const code: VerifyCode = (await keyledger.verify.key({ key })).code;
 * ```
 */
export type VerifyCode = VerifyKeyResult['code'];

/**
 * A signed-in user.
 * @example
 * ```ts
 * const me: KeyledgerUser = await keyledger.auth.me();
 * ```
 */
export type KeyledgerUser = KeyledgerOutputs['auth']['me'];

/**
 * One key's usage over a number of days: totals, a daily series and the endpoints it called.
 * @example
 * ```ts
 * const usage: KeyUsage = await keyledger.usage.key({ key_id, days: 7 });
 * ```
 */
export type KeyUsage = KeyledgerOutputs['usage']['key'];

/**
 * Usage across all of one's keys, with alerts.
 * @example
 * ```ts
 * const overview: UsageOverview = await keyledger.usage.overview({ days: 30 });
 * ```
 */
export type UsageOverview = KeyledgerOutputs['usage']['overview'];

/**
 * One entry of a key's audit trail, from the event log.
 * @example
 * ```ts
 * const { events } = await keyledger.audit.keyEvents({ key_id });
 * const first: AuditEntry | undefined = events[0];
 * ```
 */
export type AuditEntry = KeyledgerOutputs['audit']['keyEvents']['events'][number];
