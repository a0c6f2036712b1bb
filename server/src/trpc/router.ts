import { createCallerFactory, router } from './init.js';
import { auditRouter } from './routers/audit.js';
import { authRouter } from './routers/auth.js';
import { keysRouter } from './routers/keys.js';
import { usageRouter } from './routers/usage.js';
import { verifyRouter } from './routers/verify.js';

export const appRouter = router({
  auth: authRouter,
  keys: keysRouter,
  usage: usageRouter,
  audit: auditRouter,
  verify: verifyRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;
