import { keyUsageInput, keyUsageOutput, overviewInput, overviewOutput } from '../../api/schemas/index.js';
import { authedProcedure, router } from '../init.js';

export const usageRouter = router({
  key: authedProcedure
    .input(keyUsageInput)
    .output(keyUsageOutput)
    .query(({ ctx, input }) => {
      const key = ctx.services.keys.assertOwned(ctx.user, input.key_id);
      return ctx.services.usage.forKey(key.key_id, input.days, key.last_used);
    }),

  overview: authedProcedure
    .input(overviewInput)
    .output(overviewOutput)
    .query(({ ctx, input }) => ctx.services.usage.overview(ctx.user.user_id, input.days)),
});
