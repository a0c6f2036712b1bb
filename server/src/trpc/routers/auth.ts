import { logoutOutput, registerInput, tokenInput, tokenOutput, userOutput } from '../../api/schemas/index.js';
import { authedProcedure, publicProcedure, router } from '../init.js';
import { idempotent } from '../idempotent.js';

export const authRouter = router({
  register: publicProcedure
    .input(registerInput)
    .output(userOutput)
    // The password never goes into an idempotency fingerprint: sign-in checks it with argon2 first.
    .mutation(({ ctx, input }) =>
      ctx.services.accounts.register(input, ctx.meta, (execute) =>
        idempotent(ctx, 'auth.register', { username: input.username.toLowerCase() }, execute),
      ),
    ),

  signIn: publicProcedure
    .input(tokenInput)
    .output(tokenOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.accounts.signIn(input, ctx.meta, (execute) =>
        idempotent(ctx, 'auth.signIn', { username: input.username.toLowerCase() }, execute),
      ),
    ),

  signOut: authedProcedure.output(logoutOutput).mutation(({ ctx }) => {
    if (ctx.token) ctx.services.accounts.signOut(ctx.token);
    return { signed_out: true as const };
  }),

  me: authedProcedure.output(userOutput).query(({ ctx }) => ctx.services.accounts.me(ctx.user)),
});
