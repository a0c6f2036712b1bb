import {
  generateKeyInput,
  getKeyInput,
  keyObject,
  keyWithSecret,
  listKeysInput,
  listKeysOutput,
  regenerateKeyInput,
  revokeKeyInput,
  scopesOutput,
  updateKeyInput,
} from '../../api/schemas/index.js';
import { scopeCatalogue } from '../../keys/scopes.js';
import { idempotent } from '../idempotent.js';
import { authedProcedure, publicProcedure, router } from '../init.js';

export const keysRouter = router({
  list: authedProcedure
    .input(listKeysInput)
    .output(listKeysOutput)
    .query(({ ctx, input }) => ctx.services.keys.list(ctx.user, input)),

  generate: authedProcedure
    .input(generateKeyInput)
    .output(keyWithSecret)
    .mutation(({ ctx, input }) =>
      idempotent(ctx, 'keys.generate', input, () => ctx.services.keys.generate(ctx.user, input, ctx.meta)),
    ),

  get: authedProcedure
    .input(getKeyInput)
    .output(keyObject)
    .query(({ ctx, input }) =>
      ctx.services.keys.get(ctx.user, input.key_id, input.as_of ? Date.parse(input.as_of) : undefined),
    ),

  update: authedProcedure
    .input(updateKeyInput)
    .output(keyObject)
    .mutation(({ ctx, input }) =>
      idempotent(ctx, 'keys.update', input, () => ctx.services.keys.update(ctx.user, input, ctx.meta)),
    ),

  revoke: authedProcedure
    .input(revokeKeyInput)
    .output(keyObject)
    .mutation(({ ctx, input }) =>
      idempotent(ctx, 'keys.revoke', input, () => ctx.services.keys.revoke(ctx.user, input, ctx.meta)),
    ),

  regenerate: authedProcedure
    .input(regenerateKeyInput)
    .output(keyWithSecret)
    .mutation(({ ctx, input }) =>
      idempotent(ctx, 'keys.regenerate', input, () =>
        ctx.services.keys.regenerate(ctx.user, input, ctx.meta),
      ),
    ),

  scopes: publicProcedure.output(scopesOutput).query(() => ({ scopes: scopeCatalogue() })),
});
