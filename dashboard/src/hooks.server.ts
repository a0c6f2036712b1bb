import type { Handle, HandleServerError } from '@sveltejs/kit';
import { bridgeOf } from '$lib/server/bridge';

// CSP (with nonces and frame-ancestors 'none') comes from kit.csp in svelte.config.js; these are the rest.
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  // For browsers that predate CSP's frame-ancestors.
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export const handle: Handle = async ({ event, resolve }) => {
  const bridge = bridgeOf(event.platform?.req);
  event.locals.bridge = bridge;
  event.locals.user = bridge?.user ?? null;

  if (!bridge) {
    // Served by anything but the Keyledger server (vite preview, a bare adapter-node): there is no one
    // to ask for data, so say so plainly instead of failing on every page.
    return new Response(
      'The Keyledger dashboard must be served by the Keyledger server (npm start), which provides its data.',
      { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } },
    );
  }

  const response = await resolve(event);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  // Pages show per-user data and, once, a new key's secret: no cache may keep them.
  response.headers.set('Cache-Control', 'no-store');
  return response;
};

export const handleError: HandleServerError = ({ error, status, message }) => {
  // Unexpected errors are logged here and shown to nobody: the page gets a generic message.
  if (status >= 500) console.error('dashboard error', error);
  return { message: status === 404 ? 'Not found' : message, code: status >= 500 ? 'INTERNAL' : undefined };
};
