import { redirect } from '@sveltejs/kit';
import { clearSessionCookie, requireBridge } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  if (!locals.user) redirect(303, '/sign-in');
};

export const actions: Actions = {
  default: async ({ locals, cookies }) => {
    const bridge = requireBridge(locals);
    if (locals.user) {
      try {
        await bridge.caller.auth.signOut();
      } catch {
        // The session may already be gone server-side; the cookie goes either way.
      }
    }
    clearSessionCookie(cookies, bridge);
    redirect(303, '/sign-in');
  },
};
