import { fail, redirect } from '@sveltejs/kit';
import type { KeyObject } from '@keyledger/server/schemas';
import { readAsOf } from '$lib/as-of';
import { readUpdateForm, validateUpdate } from '$lib/forms/key-settings';
import { readUsageDays } from '$lib/list-params';
import { readCallerError, signInUrl, throwForLoad } from '$lib/server/caller-error';
import { regenerateKeyAction, revokeKeyAction } from '$lib/server/key-actions';
import { requireCaller } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, params }) => {
  const caller = requireCaller(locals, url);
  const keyId = params.key_id;
  const days = readUsageDays(url);
  const { asOf, error: asOfError } = readAsOf(url);
  try {
    const [key, usage, audit] = await Promise.all([
      caller.keys.get({ key_id: keyId }),
      caller.usage.key({ key_id: keyId, days }),
      caller.audit.keyEvents({ key_id: keyId }),
    ]);
    let keyThen: KeyObject | null = null;
    let asOfMessage: string | null = asOfError;
    if (asOf) {
      if (new Date(asOf).getTime() < new Date(key.created_at).getTime()) {
        asOfMessage = 'The key did not exist yet at that time.';
      } else {
        keyThen = await caller.keys.get({ key_id: keyId, as_of: asOf });
      }
    }
    return { key, keyThen, asOf: keyThen ? asOf : null, asOfMessage, usage, events: audit.events, days };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};

export const actions: Actions = {
  update: async ({ request, locals, url, params }) => {
    const caller = requireCaller(locals, url);
    const values = readUpdateForm(await request.formData());
    const checked = validateUpdate(values);
    if (!checked.ok)
      return fail(400, { action: 'update' as const, values, errors: checked.errors, message: null });
    try {
      const key = await caller.keys.update({ key_id: params.key_id, ...checked.data });
      return { action: 'update' as const, updated: key };
    } catch (thrown) {
      const error = readCallerError(thrown);
      if (error.status === 401) redirect(303, signInUrl(url));
      return fail(error.status, {
        action: 'update' as const,
        values,
        errors: error.fields,
        message: error.message,
      });
    }
  },
  revoke: revokeKeyAction,
  regenerate: regenerateKeyAction,
};
