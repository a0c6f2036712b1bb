import { error, redirect } from '@sveltejs/kit';

/** What the dashboard needs to know about a failed call, whatever threw it. */
export interface CallerFailure {
  /** The domain code (KEY_NOT_FOUND, USERNAME_TAKEN, …), or the tRPC code when there is none. */
  code: string;
  status: number;
  message: string;
  /** Field problems keyed by the input field's name. */
  fields: Record<string, string>;
  retryAfterSeconds: number | null;
}

const TRPC_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  PARSE_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

// Domain codes the server sends whose status differs from their tRPC code's usual one are covered by
// the tRPC code: the server maps each domain code to exactly one tRPC code.

interface IssueLike {
  path: ReadonlyArray<PropertyKey> | string;
  message: string;
}

function fieldsFrom(issues: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!Array.isArray(issues)) return fields;
  for (const issue of issues as IssueLike[]) {
    const path = Array.isArray(issue.path) ? issue.path.map(String).join('.') : String(issue.path ?? '');
    if (path && !(path in fields)) fields[path] = issue.message;
  }
  return fields;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

/**
 * Reads a TRPCError from the server's caller: `.code` is the tRPC code, `.cause` a KeyledgerError with the
 * domain `.code`, `.message` and `.details`, or the ZodError of a rejected input. Anything else is a bug
 * and reads as INTERNAL without its message, which could carry internals.
 */
export function readCallerError(thrown: unknown): CallerFailure {
  const err = record(thrown);
  const trpcCode = typeof err?.code === 'string' ? err.code : 'INTERNAL_SERVER_ERROR';
  const cause = record(err?.cause);
  const details = record(cause?.details);
  const status = TRPC_STATUS[trpcCode] ?? 500;
  const isDomain = cause?.name === 'KeyledgerError' && typeof cause.code === 'string';
  const issues = details?.issues ?? cause?.issues;
  const retryAfter = details?.retry_after;
  return {
    code: isDomain ? (cause.code as string) : trpcCode,
    status,
    message: isDomain
      ? String(cause.message)
      : Array.isArray(issues)
        ? 'Please correct the fields below.'
        : status < 500 && typeof err?.message === 'string'
          ? String(err.message)
          : 'Something went wrong on our side. Please try again.',
    fields: fieldsFrom(issues),
    retryAfterSeconds: typeof retryAfter === 'number' ? retryAfter : null,
  };
}

/**
 * For load functions: a signed-out session goes to sign-in, a missing key to the 404 page, anything
 * else to the error page with the server's message.
 */
export function throwForLoad(thrown: unknown, url: URL): never {
  const failure = readCallerError(thrown);
  if (failure.status === 401) redirect(303, signInUrl(url));
  if (failure.status === 404) error(404, { message: 'Not found', code: failure.code });
  error(failure.status, { message: failure.message, code: failure.code });
}

export function signInUrl(url: URL): string {
  const back = url.pathname + url.search;
  return back === '/' ? '/sign-in' : `/sign-in?redirectTo=${encodeURIComponent(back)}`;
}

/** Only same-site paths: an open redirect after sign-in would make a fine phishing tool. */
export function safeRedirectTarget(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/keys';
  return value;
}
