import {
  AuthenticationError,
  ConflictError,
  KeyledgerError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
  type KeyledgerErrorCode,
  type ValidationIssue,
} from './keyledger-error.js';

/** What is known about a failed HTTP answer, from its status, headers and (if it was JSON) its body. */
export interface HttpFailure {
  status: number;
  /** The domain code from the body; when absent (an HTML page from a proxy), one is derived from the status. */
  code?: string | undefined;
  message?: string | undefined;
  requestId: string | null;
  retryAfterMs?: number | null | undefined;
  issues?: readonly ValidationIssue[] | undefined;
  cause?: unknown;
}

// Used only when the body carried no code of its own, e.g. a proxy's HTML error page.
const CODE_BY_STATUS: Readonly<Record<number, KeyledgerErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  500: 'INTERNAL',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/**
 * The one place where an HTTP status decides which error class a caller gets.
 * @internal
 */
export function errorFromHttp(failure: HttpFailure): KeyledgerError {
  const { status } = failure;
  const init = {
    status,
    code: failure.code ?? CODE_BY_STATUS[status] ?? `HTTP_${status}`,
    message: failure.message ?? `Keyledger answered HTTP ${status}`,
    requestId: failure.requestId,
    cause: failure.cause,
  };
  if (status === 400 || status === 422) return new ValidationError({ ...init, issues: failure.issues ?? [] });
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new PermissionError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 408) return new TimeoutError(init);
  if (status === 409) return new ConflictError(init);
  if (status === 429) return new RateLimitError({ ...init, retryAfterMs: failure.retryAfterMs ?? null });
  if (status >= 500) return new ServerError(init);
  return new KeyledgerError(init);
}
