import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TokenOutput } from '../api/schemas/index.js';
import type { SignedInUser } from '../request-meta.js';
import type { AppCaller } from '../trpc/router.js';

/** What the server hands the dashboard on each request, as `event.platform.req.keyledger`. */
export interface DashboardBridge {
  /** A caller for this request, signed in from the session cookie when it is valid. */
  caller: AppCaller;
  user: SignedInUser | null;
  sessionCookieName: 'keyledger_session';
  /** Whether to set Secure on the session cookie. */
  cookieSecure: boolean;
  signIn(input: { username: string; password: string }): Promise<TokenOutput>;
  /** A caller signed in with a token just issued (the cookie arrives only with the next request). */
  callerForToken(token: string): AppCaller;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Loads adapter-node's handler from the dashboard build, or null when there is no build. */
export async function loadDashboardHandler(dir: string): Promise<NodeHandler | null> {
  const file = join(dir, 'handler.js');
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { handler: NodeHandler };
  return mod.handler;
}
