import type { ServerResponse } from 'node:http';
import type { KeyledgerError } from '../errors.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(payload);
}

/** The one REST error shape: `{"error": {"code", "message", "details"?}}`, with its status and Retry-After. */
export function sendError(
  res: ServerResponse,
  error: KeyledgerError,
  headers: Record<string, string> = {},
): void {
  const extra: Record<string, string> = { ...headers };
  // RFC 6750: a 401 names the scheme it wants, so clients know to send a bearer credential.
  if (error.status === 401) extra['WWW-Authenticate'] = 'Bearer realm="keyledger"';
  if (typeof error.details?.retry_after === 'number')
    extra['Retry-After'] = String(error.details.retry_after);
  const body: { code: string; message: string; details?: unknown } = {
    code: error.code,
    message: error.message,
  };
  if (error.details) body.details = error.details;
  sendJson(res, error.status, { error: body }, extra);
}
