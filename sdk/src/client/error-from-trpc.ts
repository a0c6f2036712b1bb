import { TRPCClientError } from '@trpc/client';
import { errorFromHttp } from '../errors/error-from-http.js';
import { KeyledgerError, type ValidationIssue } from '../errors/keyledger-error.js';
import { parseRetryAfter } from '../transport/retry-timing.js';

/**
 * Turns whatever a tRPC call threw into what the SDK promises: a `KeyledgerError` subclass, or the
 * caller's abort reason when the caller aborted.
 * @internal
 */
export function errorFromTrpc(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (!(error instanceof TRPCClientError)) return error;
  // Raised by the retrying fetch (connection, timeout, a non-JSON answer): already typed.
  if (error.cause instanceof KeyledgerError) return error.cause;

  const data = asRecord(error.data);
  const details = asRecord(data?.['details']);
  const response = asRecord(error.meta)?.['response'];
  const headers = response instanceof Response ? response.headers : new Headers();
  const httpStatus = data?.['httpStatus'];
  const status =
    typeof httpStatus === 'number' ? httpStatus : response instanceof Response ? response.status : null;

  if (status === null || status < 400) {
    return new KeyledgerError({
      status,
      code: 'UNEXPECTED_RESPONSE',
      message: `Keyledger sent an answer the SDK could not read: ${error.message}`,
      requestId: headers.get('x-request-id'),
      cause: error,
    });
  }
  return errorFromHttp({
    status,
    code: stringOr(data?.['keyledgerCode']),
    message: error.message,
    requestId: stringOr(data?.['requestId']) ?? headers.get('x-request-id'),
    retryAfterMs:
      parseRetryAfter(headers) ?? secondsToMs(details?.['retry_after'] ?? data?.['retryAfterSeconds']),
    issues: issuesOf(details?.['issues'] ?? data?.['issues']),
    cause: error,
  });
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const secondsToMs = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value * 1000) : null;

function issuesOf(value: unknown): ValidationIssue[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((item) => {
    const issue = asRecord(item);
    if (!issue || typeof issue['message'] !== 'string') return [];
    const path = issue['path'];
    return [{ path: Array.isArray(path) ? path.join('.') : String(path ?? ''), message: issue['message'] }];
  });
}
