import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { RequestMeta } from '../request-meta.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const SESSION_COOKIE = 'keyledger_session';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The caller's address: the socket's, or the first X-Forwarded-For hop when we sit behind our own proxy. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = header(req, 'x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded.slice(0, 100);
  }
  return req.socket.remoteAddress ?? null;
}

function firstForwardedAddress(req: IncomingMessage): string | null {
  const first = header(req, 'x-forwarded-for')?.split(',')[0]?.trim();
  return first && isIP(first) ? first : null;
}

export function requestMeta(req: IncomingMessage, trustProxy: boolean): RequestMeta {
  const given = header(req, 'x-request-id');
  const idem = header(req, 'idempotency-key');
  return {
    requestId: given && REQUEST_ID.test(given) ? given : randomUUID(),
    ip: clientIp(req, trustProxy),
    userAgent: header(req, 'user-agent')?.slice(0, 500) ?? null,
    idempotencyKey: idem && IDEMPOTENCY_KEY.test(idem) ? idem : null,
    forwardedFor: firstForwardedAddress(req),
  };
}

export const isValidIdempotencyKey = (key: string): boolean => IDEMPOTENCY_KEY.test(key);

/** True when an Idempotency-Key header was sent but is not one we accept (printable ASCII, 1–255). */
export const hasInvalidIdempotencyKey = (req: IncomingMessage): boolean => {
  const idem = header(req, 'idempotency-key');
  return idem !== undefined && !IDEMPOTENCY_KEY.test(idem);
};

/** A bearer credential from the Authorization header. */
export function bearerToken(req: IncomingMessage): string | null {
  const auth = header(req, 'authorization');
  if (!auth) return null;
  const match = /^Bearer\s+(\S{1,512})$/i.exec(auth.trim());
  return match ? (match[1] as string) : null;
}

export function sessionCookie(req: IncomingMessage): string | null {
  const cookies = header(req, 'cookie');
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      if (value.length === 0 || value.length > 512) return null;
      try {
        return decodeURIComponent(value);
      } catch {
        return null;
      }
    }
  }
  return null;
}
