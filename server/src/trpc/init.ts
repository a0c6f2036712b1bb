import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { KeyledgerError, toKeyledgerError, trpcCodeOf } from '../errors.js';
import type { Context } from './context.js';
import { redactCredentials } from '../redact-credentials.js';

/** Zod issues as `{ path, message }`, with dotted paths a form can put beside its fields. */
export const issuesOf = (error: ZodError) =>
  error.issues.flatMap((i) => {
    const at = (path: PropertyKey[]) => path.map(String).join('.') || '(body)';
    // One issue per unknown field, named by its path, so a client can point at each.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ path: at([...i.path, k]), message: 'unknown field' }));
    }
    return [{ path: at(i.path), message: i.message }];
  });

/** The one place an error becomes what a client sees: a domain code, a message, never a stack. */
export function domainErrorOf(error: TRPCError): KeyledgerError {
  const cause = error.cause;
  if (cause instanceof KeyledgerError) return cause;
  if (cause instanceof ZodError) {
    return new KeyledgerError('VALIDATION_FAILED', 'the request is not valid', { issues: issuesOf(cause) });
  }
  if (error.code === 'NOT_FOUND') return new KeyledgerError('NOT_FOUND', 'no such procedure');
  if (error.code === 'PARSE_ERROR' || cause instanceof SyntaxError) {
    return new KeyledgerError('INVALID_JSON', 'the body is not valid JSON');
  }
  if (error.code === 'METHOD_NOT_SUPPORTED') {
    return new KeyledgerError('METHOD_NOT_ALLOWED', 'method not allowed for this procedure');
  }
  if (error.code === 'BAD_REQUEST') return new KeyledgerError('VALIDATION_FAILED', error.message);
  if (error.code === 'PAYLOAD_TOO_LARGE')
    return new KeyledgerError('PAYLOAD_TOO_LARGE', 'the body is too large');
  if (error.code === 'UNSUPPORTED_MEDIA_TYPE') {
    return new KeyledgerError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type');
  }
  return toKeyledgerError(cause ?? error);
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error, ctx }) {
    const domain = domainErrorOf(error);
    return {
      message: domain.message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: domain.status,
        // The procedure path is the client's own text when no procedure matched it.
        path: shape.data.path === undefined ? undefined : redactCredentials(shape.data.path),
        keyledgerCode: domain.code,
        details: domain.details,
        requestId: ctx?.meta.requestId,
      },
    };
  },
});

/** Turns a thrown KeyledgerError into a TRPCError with the mapped code, so status and shape agree. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof KeyledgerError) {
      throw new TRPCError({ code: trpcCodeOf(cause.code), message: cause.message, cause });
    }
    const fault = toKeyledgerError(cause);
    if (fault.code === 'STORAGE_UNAVAILABLE') {
      throw new TRPCError({ code: trpcCodeOf(fault.code), message: fault.message, cause: fault });
    }
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new KeyledgerError('UNAUTHENTICATED', 'sign in: a valid access token is required');
  return next({ ctx: { ...ctx, user: ctx.user } });
});
