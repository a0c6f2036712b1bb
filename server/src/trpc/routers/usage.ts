import { keyUsageInput, keyUsageOutput, overviewInput, overviewOutput } from '../../api/schemas/index.js';
import { authedProcedure, router } from '../init.js';

export const usageRouter = router({
  key: authedProcedure
    .input(keyUsageInput)
    .output(keyUsageOutput)
    .query(({ ctx, input }) => {
      // Uses wait up to a few milliseconds in the group-commit buffer; a read right after a call sees them.
      ctx.services.store.flush();
      const key = ctx.services.keys.assertOwned(ctx.user, input.key_id);
      return ctx.services.usage.forKey(key.key_id, input.days, key.last_used);
    }),

  overview: authedProcedure
    .input(overviewInput)
    .output(overviewOutput)
    .query(({ ctx, input }) => {
      ctx.services.store.flush();
      return ctx.services.usage.overview(ctx.user.user_id, input.days);
    }),
});
