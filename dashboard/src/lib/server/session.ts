import { error, redirect, type Cookies } from '@sveltejs/kit';
import type { DashboardBridge, DashboardCaller } from './bridge.js';
import { signInUrl } from './caller-error.js';

/** The signed-in caller for an action or load; anyone else goes to sign-in and comes back afterwards. */
export function requireCaller(locals: App.Locals, url: URL): DashboardCaller {
  if (!locals.bridge || !locals.user) redirect(303, signInUrl(url));
  return locals.bridge.caller;
}

export function setSessionCookie(
  cookies: Cookies,
  bridge: DashboardBridge,
  token: { access_token: string; expires_in: number },
): void {
  cookies.set(bridge.sessionCookieName, token.access_token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: bridge.cookieSecure,
    maxAge: token.expires_in,
  });
}

export function clearSessionCookie(cookies: Cookies, bridge: DashboardBridge): void {
  cookies.delete(bridge.sessionCookieName, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: bridge.cookieSecure,
  });
}

/** The hooks answer 503 without a bridge, so this only narrows the type for actions that need it. */
export function requireBridge(locals: App.Locals): DashboardBridge {
  if (!locals.bridge) error(503, { message: 'The dashboard is not connected to the Keyledger server.' });
  return locals.bridge;
}
