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
  /**
   * This request's caller with an idempotency key, for forms that create things: a form carries a key
   * made when the page was shown, so submitting it twice (a double click, a resent POST) acts once.
   * An invalid key (not 1–255 printable ASCII characters) is ignored.
   */
  callerWithIdempotencyKey(key: string): AppCaller;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

const PROTOCOL_HEADER = 'x-keyledger-protocol';

/**
 * Loads adapter-node's handler from the dashboard build, or null when there is no build.
 *
 * adapter-node works out a request's origin from `ORIGIN`, or from `PROTOCOL_HEADER` and Host, and
 * assumes https when neither is set; over plain http SvelteKit's CSRF check would then refuse every form
 * post. Unless the operator set one of them, the handler is told the protocol this server saw, through a
 * header of ours that is overwritten on every request so that no client can choose it.
 */
export async function loadDashboardHandler(dir: string): Promise<NodeHandler | null> {
  const file = join(dir, 'handler.js');
  if (!existsSync(file)) return null;
  // Set by an earlier load in this process (the module, and so its reading of the environment, is shared).
  const ours = !process.env.ORIGIN && (process.env.PROTOCOL_HEADER ?? PROTOCOL_HEADER) === PROTOCOL_HEADER;
  // adapter-node reads its environment when the module loads.
  if (ours) process.env.PROTOCOL_HEADER = PROTOCOL_HEADER;
  const { handler } = (await import(pathToFileURL(file).href)) as { handler: NodeHandler };
  if (!ours) return handler;
  return (req, res, next) => {
    const secure =
      (req as IncomingMessage & { keyledger?: DashboardBridge }).keyledger?.cookieSecure ?? false;
    req.headers[PROTOCOL_HEADER] = secure ? 'https' : 'http';
    handler(req, res, next);
  };
}
