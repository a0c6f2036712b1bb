import { verifyKeyInput, verifyKeyOutput } from '../../api/schemas/index.js';
import { verifyForCaller } from '../../verify/verify-for-caller.js';
import { publicProcedure, router } from '../init.js';

export const verifyRouter = router({
  /** The key in the body is the credential; see verifyForCaller for who may verify for whom. */
  key: publicProcedure
    .input(verifyKeyInput)
    .output(verifyKeyOutput)
    .mutation(({ ctx, input }) => verifyForCaller(ctx, input)),
});
