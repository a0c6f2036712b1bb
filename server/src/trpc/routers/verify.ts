import { verifyKeyInput, verifyKeyOutput } from '../../api/schemas/index.js';
import { rateLimitHeaders } from '../../http/rate-limit-headers.js';
import { publicProcedure, router } from '../init.js';

export const verifyRouter = router({
  /** The key in the body is the credential; no access token is needed. */
  key: publicProcedure
    .input(verifyKeyInput)
    .output(verifyKeyOutput)
    .mutation(({ ctx, input }) => {
      const result = ctx.services.verifyKey({
        key: input.key,
        endpoint: input.endpoint,
        scope: input.scope,
        ip: ctx.meta.ip,
        userAgent: ctx.meta.userAgent,
        requestId: ctx.meta.requestId,
      });
      if (result.rate)
        Object.assign(ctx.responseHeaders, rateLimitHeaders(result.rate, ctx.services.clock()));
      return result.output;
    }),
});
