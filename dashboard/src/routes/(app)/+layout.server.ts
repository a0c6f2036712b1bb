import { redirect } from '@sveltejs/kit';
import { signInUrl } from '$lib/server/caller-error';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals, url }) => {
  if (!locals.user) redirect(303, signInUrl(url));
  // "now" comes from the server, so relative times render the same on both sides of hydration.
  return { user: locals.user, now: Date.now() };
};
