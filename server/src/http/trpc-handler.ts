import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../trpc/context.js';
import { appRouter } from '../trpc/router.js';

export const BODY_LIMIT_BYTES = 64 * 1024;

/** tRPC over HTTP at /trpc, plain (unbatched) calls; the context is made by the app for each request. */
export function trpcHandler(contextOf: (req: IncomingMessage) => Context) {
  return createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: BODY_LIMIT_BYTES,
    allowBatching: false,
    createContext: ({ req }) => contextOf(req),
    responseMeta: ({ ctx, errors }) => {
      const headers: Record<string, string> = { ...ctx?.responseHeaders };
      for (const e of errors) {
        const cause = e.cause as { details?: { retry_after?: number } } | undefined;
        const retry = cause?.details?.retry_after;
        if (typeof retry === 'number') headers['Retry-After'] = String(retry);
      }
      return { headers };
    },
  }) as (req: IncomingMessage, res: ServerResponse) => void;
}
