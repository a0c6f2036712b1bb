import { fail, redirect } from '@sveltejs/kit';
import { formString } from '$lib/forms/fields';
import { readSignInForm, validateSignIn, type SignInField } from '$lib/forms/account';
import type { FieldErrors } from '$lib/forms/fields';
import { readCallerError, safeRedirectTarget } from '$lib/server/caller-error';
import { requireBridge, setSessionCookie } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
  const redirectTo = url.searchParams.get('redirectTo');
  if (locals.user) redirect(303, safeRedirectTarget(redirectTo));
  return { redirectTo: redirectTo ?? '', registered: url.searchParams.has('registered') };
};

export const actions: Actions = {
  default: async ({ request, locals, cookies }) => {
    const bridge = requireBridge(locals);
    const form = await request.formData();
    const values = readSignInForm(form);
    const checked = validateSignIn(values);
    if (!checked.ok) {
      return fail(400, { username: values.username, errors: checked.errors, message: null });
    }
    try {
      setSessionCookie(cookies, bridge, await bridge.signIn(checked.data));
    } catch (thrown) {
      const error = readCallerError(thrown);
      const errors: FieldErrors<SignInField> = {};
      const message =
        error.code === 'INVALID_CREDENTIALS'
          ? 'That username and password do not match an account.'
          : error.status === 429
            ? `Too many sign-in attempts. Try again in ${error.retryAfterSeconds ?? 60} seconds.`
            : error.message;
      return fail(error.status, { username: values.username, errors, message });
    }
    redirect(303, safeRedirectTarget(formString(form, 'redirectTo')));
  },
};
