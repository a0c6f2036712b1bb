import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { redactCredentials } from './redact-credentials.js';

/** Every error Keyledger answers with. One closed map: the HTTP status and tRPC code are decided here only. */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, trpc: 'BAD_REQUEST' },
  INVALID_JSON: { status: 400, trpc: 'PARSE_ERROR' },
  UNAUTHENTICATED: { status: 401, trpc: 'UNAUTHORIZED' },
  INVALID_CREDENTIALS: { status: 401, trpc: 'UNAUTHORIZED' },
  INVALID_API_KEY: { status: 401, trpc: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, trpc: 'FORBIDDEN' },
  INSUFFICIENT_SCOPE: { status: 403, trpc: 'FORBIDDEN' },
  SIGN_UP_DISABLED: { status: 403, trpc: 'FORBIDDEN' },
  NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  KEY_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  METHOD_NOT_ALLOWED: { status: 405, trpc: 'METHOD_NOT_SUPPORTED' },
  USERNAME_TAKEN: { status: 409, trpc: 'CONFLICT' },
  KEY_LIMIT_REACHED: { status: 409, trpc: 'CONFLICT' },
  KEY_REVOKED: { status: 409, trpc: 'CONFLICT' },
  CONCURRENT_MODIFICATION: { status: 409, trpc: 'CONFLICT' },
  IDEMPOTENCY_CONFLICT: { status: 409, trpc: 'CONFLICT' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, trpc: 'CONFLICT' },
  PAYLOAD_TOO_LARGE: { status: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, trpc: 'UNSUPPORTED_MEDIA_TYPE' },
  RATE_LIMITED: { status: 429, trpc: 'TOO_MANY_REQUESTS' },
  SIGN_IN_THROTTLED: { status: 429, trpc: 'TOO_MANY_REQUESTS' },
  INTERNAL: { status: 500, trpc: 'INTERNAL_SERVER_ERROR' },
  STORAGE_UNAVAILABLE: { status: 503, trpc: 'SERVICE_UNAVAILABLE' },
} as const satisfies Record<string, { status: number; trpc: TRPC_ERROR_CODE_KEY }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  /** Field problems, for VALIDATION_FAILED. */
  issues?: { path: string; message: string }[];
  /** Seconds until a retry can succeed, for 429s. */
  retry_after?: number;
  [key: string]: unknown;
}

/**
 * A failure the caller can act on. Anything else thrown is a bug and answers INTERNAL without detail.
 * Messages and details often quote what the client sent, so credentials in them are redacted.
 */
export class KeyledgerError extends Error {
  override readonly name = 'KeyledgerError';
  readonly details?: ErrorDetails;
  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: ErrorDetails,
  ) {
    super(redactCredentials(message));
    if (details !== undefined) {
      const json = JSON.stringify(details);
      const redacted = redactCredentials(json);
      this.details = redacted === json ? details : (JSON.parse(redacted) as ErrorDetails);
    }
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const httpStatusOf = (code: ErrorCode): number => ERROR_CODES[code].status;
export const trpcCodeOf = (code: ErrorCode): TRPC_ERROR_CODE_KEY => ERROR_CODES[code].trpc;

const SQLITE_UNAVAILABLE = new Set([
  'SQLITE_FULL',
  'SQLITE_BUSY',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_LOCKED',
]);

/** Normalises anything thrown into a KeyledgerError, once, at the edge. */
export function toKeyledgerError(error: unknown): KeyledgerError {
  if (error instanceof KeyledgerError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && [...SQLITE_UNAVAILABLE].some((c) => code.startsWith(c))) {
    return new KeyledgerError('STORAGE_UNAVAILABLE', 'storage is unavailable; try again later', {
      retry_after: 5,
    });
  }
  return new KeyledgerError('INTERNAL', 'internal error');
}
