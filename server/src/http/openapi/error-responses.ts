import { z } from 'zod';
import { ERROR_CODES, httpStatusOf, type ErrorCode } from '../../errors.js';
import type { RouteSpec } from '../rest/route-spec.js';

const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The one REST error shape, as a reusable component. */
export const errorResponseBody = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).describe('machine-readable; the only field a client should branch on'),
      message: z.string().describe('for people; may change'),
      details: z
        .object({
          issues: z
            .array(z.object({ path: z.string(), message: z.string() }))
            .optional()
            .describe('for VALIDATION_FAILED: each field that is wrong, and why'),
          retry_after: z.number().int().optional().describe('for 429 and 503: seconds to wait'),
        })
        .catchall(z.unknown())
        .optional(),
    }),
  })
  .meta({ id: 'Error' });

/** A typical message for each code, for the document's examples. */
const EXAMPLE_MESSAGES: Record<ErrorCode, { message: string; details?: Record<string, unknown> }> = {
  VALIDATION_FAILED: {
    message: 'the request is not valid',
    details: { issues: [{ path: 'name', message: 'a name is required' }] },
  },
  INVALID_JSON: { message: 'the body is not valid JSON' },
  UNAUTHENTICATED: { message: 'sign in: a valid access token is required' },
  INVALID_CREDENTIALS: { message: 'invalid username or password' },
  INVALID_API_KEY: { message: 'the API key has been revoked', details: { reason: 'REVOKED' } },
  FORBIDDEN: { message: 'only administrators can create admin keys' },
  INSUFFICIENT_SCOPE: {
    message: 'the API key’s scope does not allow this',
    details: { scope: 'read_only', required_operation: 'kb:query' },
  },
  SIGN_UP_DISABLED: { message: 'sign-up is closed on this server' },
  NOT_FOUND: { message: 'not found' },
  KEY_NOT_FOUND: { message: 'no such key' },
  METHOD_NOT_ALLOWED: { message: 'PATCH is not allowed here; use GET, PUT, DELETE' },
  USERNAME_TAKEN: {
    message: 'that username is taken',
    details: { issues: [{ path: 'username', message: 'that username is taken' }] },
  },
  KEY_LIMIT_REACHED: { message: 'you have reached the limit of active keys' },
  KEY_REVOKED: { message: 'a revoked key cannot be regenerated; generate a new one' },
  CONCURRENT_MODIFICATION: { message: 'the key changed meanwhile; try again' },
  IDEMPOTENCY_CONFLICT: { message: 'this Idempotency-Key was already used with a different request' },
  IDEMPOTENCY_IN_PROGRESS: { message: 'a request with this Idempotency-Key is in progress' },
  PAYLOAD_TOO_LARGE: { message: 'the body is over 64 KiB' },
  UNSUPPORTED_MEDIA_TYPE: { message: 'send the body as application/json' },
  RATE_LIMITED: {
    message: 'the API key’s rate limit is exhausted; retry later',
    details: { retry_after: 4 },
  },
  SIGN_IN_THROTTLED: { message: 'too many failed sign-ins; try again in 30 s', details: { retry_after: 30 } },
  INTERNAL: { message: 'internal error' },
  STORAGE_UNAVAILABLE: { message: 'storage is unavailable; try again later', details: { retry_after: 5 } },
};

export const errorExample = (code: ErrorCode) => {
  const { message, details } = EXAMPLE_MESSAGES[code];
  return { error: details ? { code, message, details } : { code, message } };
};

/**
 * The errors a route answers: its own, plus those its shape implies. Every input can be invalid;
 * every body can be too large, of the wrong type, or not JSON; every API-key route checks the key;
 * anything that reaches the database can find it unavailable.
 */
export function routeErrors(route: RouteSpec, touchesStorage: boolean): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors);
  const takesInput = route.params || route.query || route.method !== 'GET';
  if (takesInput) codes.add('VALIDATION_FAILED');
  if (route.method !== 'GET') {
    codes.add('INVALID_JSON');
    codes.add('PAYLOAD_TOO_LARGE');
    codes.add('UNSUPPORTED_MEDIA_TYPE');
  }
  if (route.auth === 'bearer') codes.add('UNAUTHENTICATED');
  if (route.auth === 'api_key') {
    codes.add('INVALID_API_KEY');
    codes.add('INSUFFICIENT_SCOPE');
    codes.add('RATE_LIMITED');
    if (route.method !== 'GET') codes.add('IDEMPOTENCY_CONFLICT');
  }
  if (touchesStorage) codes.add('STORAGE_UNAVAILABLE');
  return [...codes].sort((a, b) => httpStatusOf(a) - httpStatusOf(b) || a.localeCompare(b));
}
