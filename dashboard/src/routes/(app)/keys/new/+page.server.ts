import { randomUUID } from 'node:crypto';
import { fail } from '@sveltejs/kit';
import { readGenerateForm, validateGenerate, type GenerateField } from '$lib/forms/generate-key';
import type { FieldErrors } from '$lib/forms/fields';
import { readCallerError, throwForLoad } from '$lib/server/caller-error';
import { requireCaller } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const caller = requireCaller(locals, url);
  try {
    const { scopes } = await caller.keys.scopes();
    // Sent back with the form, so that submitting it twice creates one key.
    return { scopes, isAdmin: locals.user?.role === 'admin', idempotencyKey: randomUUID() };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};

export const actions: Actions = {
  default: async ({ request, locals, url }) => {
    const caller = requireCaller(locals, url);
    const form = await request.formData();
    const values = readGenerateForm(form);
    const checked = validateGenerate(values, { isAdmin: locals.user?.role === 'admin' });
    if (!checked.ok) return fail(400, { values, errors: checked.errors, message: null });
    try {
      // The plaintext key travels once, in this response, and is kept nowhere: not in a cookie, not in
      // a store. Leaving the page loses it for good.
      const once = form.get('idempotency_key');
      const created = await (
        typeof once === 'string' && locals.bridge ? locals.bridge.callerWithIdempotencyKey(once) : caller
      ).keys.generate(checked.data);
      return { created };
    } catch (thrown) {
      const error = readCallerError(thrown);
      const errors: FieldErrors<GenerateField> = error.fields;
      const message =
        error.code === 'KEY_LIMIT_REACHED'
          ? 'You have reached the limit of active keys. Revoke a key you no longer use, then try again.'
          : Object.keys(errors).length > 0
            ? null
            : error.message;
      return fail(error.status, { values, errors, message });
    }
  },
};
