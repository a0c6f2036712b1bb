import { throwForLoad } from '$lib/server/caller-error';
import { regenerateKeyAction } from '$lib/server/key-actions';
import { requireCaller } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

// The confirmation page behind the Regenerate button when JavaScript is off (with it, a dialog asks).
export const load: PageServerLoad = async ({ locals, url, params }) => {
  const caller = requireCaller(locals, url);
  try {
    return { key: await caller.keys.get({ key_id: params.key_id }) };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};

export const actions: Actions = { default: regenerateKeyAction };
