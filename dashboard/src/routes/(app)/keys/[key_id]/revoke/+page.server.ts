import { redirect } from '@sveltejs/kit';
import { throwForLoad } from '$lib/server/caller-error';
import { revokeKeyAction } from '$lib/server/key-actions';
import { requireCaller } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

// The confirmation page behind the Revoke button when JavaScript is off (with it, a dialog asks).
export const load: PageServerLoad = async ({ locals, url, params }) => {
  const caller = requireCaller(locals, url);
  try {
    return { key: await caller.keys.get({ key_id: params.key_id }) };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};

export const actions: Actions = {
  default: async (event) => {
    const result = await revokeKeyAction(event);
    if ('revoked' in result) redirect(303, `/keys/${encodeURIComponent(event.params.key_id)}`);
    return result;
  },
};
