import type { RequestMeta, SignedInUser } from '../request-meta.js';
import type { Services } from '../services.js';

/** What every procedure gets. Built per request by the HTTP layer, or by hand for `createCaller`. */
export interface Context {
  services: Services;
  meta: RequestMeta;
  /** The access token the request carried, if any. */
  token: string | null;
  user: SignedInUser | null;
  /** Headers a procedure wants on the HTTP response (rate limits, Retry-After). */
  responseHeaders: Record<string, string>;
}

export function createContext(services: Services, meta: RequestMeta, token: string | null): Context {
  return {
    services,
    meta,
    token,
    user: token ? services.accounts.authenticate(token) : null,
    responseHeaders: {},
  };
}
