/**
 * A field the server rejected: its dot-separated `path` and what is wrong with it.
 *
 * @example
 * ```ts
 * const issue: ValidationIssue = { path: 'rate_limit', message: 'Too big: expected number to be <=10000' };
 * ```
 */
export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Codes the Keyledger server answers with, plus the SDK's own for failures that never reached it.
 * Unknown codes from a newer server still come through as strings.
 *
 * @example
 * ```ts
 * const retryable = (code: KeyledgerErrorCode) => code === 'STORAGE_UNAVAILABLE' || code === 'TIMEOUT';
 * ```
 */
export type KeyledgerErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'UNAUTHENTICATED'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_API_KEY'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'SIGN_UP_DISABLED'
  | 'NOT_FOUND'
  | 'KEY_NOT_FOUND'
  | 'USERNAME_TAKEN'
  | 'KEY_LIMIT_REACHED'
  | 'KEY_REVOKED'
  | 'CONCURRENT_MODIFICATION'
  | 'IDEMPOTENCY_CONFLICT'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'RATE_LIMITED'
  | 'SIGN_IN_THROTTLED'
  | 'INTERNAL'
  | 'STORAGE_UNAVAILABLE'
  | 'CONNECTION_ERROR'
  | 'TIMEOUT'
  | 'UNEXPECTED_RESPONSE'
  | (string & {});

/**
 * What every Keyledger error is built from.
 *
 * @example
 * ```ts
 * const init: KeyledgerErrorInit = { message: 'no such key', status: 404, code: 'KEY_NOT_FOUND', requestId: null };
 * const error = new NotFoundError(init);
 * ```
 */
export interface KeyledgerErrorInit {
  message: string;
  /** The HTTP status, or `null` when no response arrived (connection failure, timeout). */
  status: number | null;
  code: KeyledgerErrorCode;
  /** The server's `X-Request-Id`, to quote when reporting a problem; `null` without a response. */
  requestId: string | null;
  cause?: unknown;
}

/**
 * The base class of every error the SDK throws for a failed call. Catch it to handle any Keyledger
 * failure; catch a subclass (or test `instanceof`) to handle one kind.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.keys.get({ key_id: 'key_123' });
 * } catch (error) {
 *   if (error instanceof KeyledgerError) console.error(error.status, error.code, error.requestId);
 *   else throw error;
 * }
 * ```
 */
export class KeyledgerError extends Error {
  override name = 'KeyledgerError';
  /** The HTTP status, or `null` when no response arrived. */
  readonly status: number | null;
  /** A machine-readable code such as `KEY_NOT_FOUND`, `RATE_LIMITED` or `CONNECTION_ERROR`. */
  readonly code: KeyledgerErrorCode;
  /** The server's request id (`X-Request-Id`), or `null` without a response. */
  readonly requestId: string | null;

  constructor(init: KeyledgerErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
  }
}

/**
 * 401: no access token, an expired or revoked one, wrong credentials, or an invalid API key.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.auth.me();
 * } catch (error) {
 *   if (error instanceof AuthenticationError) redirectToSignIn();
 * }
 * ```
 */
export class AuthenticationError extends KeyledgerError {
  override name = 'AuthenticationError';
}

/**
 * 403: signed in, but not allowed (an admin-only option, a scope the key lacks, sign-up closed).
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.keys.generate({ name: 'ops', scope: 'admin' });
 * } catch (error) {
 *   if (error instanceof PermissionError) console.error('only administrators can create admin keys');
 * }
 * ```
 */
export class PermissionError extends KeyledgerError {
  override name = 'PermissionError';
}

/**
 * 404: the key does not exist or is not yours; the two are deliberately indistinguishable.
 *
 * @example
 * ```ts
 * const key = await keyledger.keys.get({ key_id }).catch((error: unknown) => {
 *   if (error instanceof NotFoundError) return null;
 *   throw error;
 * });
 * ```
 */
export class NotFoundError extends KeyledgerError {
  override name = 'NotFoundError';
}

/**
 * 400 (or 422): the input was rejected. `issues` names each field and what is wrong with it.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.keys.generate({ name: '' });
 * } catch (error) {
 *   if (error instanceof ValidationError) {
 *     for (const issue of error.issues) console.error(`${issue.path}: ${issue.message}`);
 *   }
 * }
 * ```
 */
export class ValidationError extends KeyledgerError {
  override name = 'ValidationError';
  /** Each rejected field; empty when the server named none. */
  readonly issues: readonly ValidationIssue[];

  constructor(init: KeyledgerErrorInit & { issues?: readonly ValidationIssue[] }) {
    super(init);
    this.issues = init.issues ?? [];
  }
}

/**
 * 409: the request conflicts with the current state, such as a taken username, the active-key cap,
 * or an idempotency key reused with a different input.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.auth.register({ username: 'ada', password });
 * } catch (error) {
 *   if (error instanceof ConflictError && error.code === 'USERNAME_TAKEN') askForAnotherName();
 * }
 * ```
 */
export class ConflictError extends KeyledgerError {
  override name = 'ConflictError';
}

/**
 * 429: too many requests. `retryAfterMs` says how long to wait, when the server said.
 * The SDK already retried if the wait was at most 60 seconds and retries were left.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.auth.signIn({ username, password });
 * } catch (error) {
 *   if (error instanceof RateLimitError) console.error(`try again in ${error.retryAfterMs ?? 1000} ms`);
 * }
 * ```
 */
export class RateLimitError extends KeyledgerError {
  override name = 'RateLimitError';
  /** How long the server asked to wait before retrying, in milliseconds; `null` if it did not say. */
  readonly retryAfterMs: number | null;

  constructor(init: KeyledgerErrorInit & { retryAfterMs?: number | null }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs ?? null;
  }
}

/**
 * The server could not be reached, or the connection dropped before a full response arrived,
 * on every attempt.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.keys.list();
 * } catch (error) {
 *   if (error instanceof ConnectionError) console.error('Keyledger is unreachable', error.cause);
 * }
 * ```
 */
export class ConnectionError extends KeyledgerError {
  override name = 'ConnectionError';
}

/**
 * Every attempt ran past its timeout (`timeoutMs`), or the server answered 408.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.usage.overview({ days: 90 }, { timeoutMs: 2_000 });
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.error('Keyledger was too slow');
 * }
 * ```
 */
export class TimeoutError extends KeyledgerError {
  override name = 'TimeoutError';
}

/**
 * 5xx: the server, or a proxy in front of it, failed. 500, 502, 503 and 504 are retried
 * automatically; this is thrown once retries ran out, or at once for other 5xx.
 *
 * @example
 * ```ts
 * try {
 *   await keyledger.keys.list();
 * } catch (error) {
 *   if (error instanceof ServerError) console.error(`Keyledger failed (${error.status}); request ${error.requestId}`);
 * }
 * ```
 */
export class ServerError extends KeyledgerError {
  override name = 'ServerError';
}
