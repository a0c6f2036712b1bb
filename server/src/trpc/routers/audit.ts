import { keyEventsInput, keyEventsOutput } from '../../api/schemas/index.js';
import { keyHistory } from '../../audit/key-history.js';
import { authedProcedure, router } from '../init.js';

export const auditRouter = router({
  keyEvents: authedProcedure
    .input(keyEventsInput)
    .output(keyEventsOutput)
    .query(({ ctx, input }) => {
      const key = ctx.services.keys.assertOwned(ctx.user, input.key_id);
      return { key_id: key.key_id, events: keyHistory(ctx.services.store, key.key_id) };
    }),
});
