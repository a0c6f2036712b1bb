import { fail, redirect } from '@sveltejs/kit';
import { readSignUpForm, validateSignUp, type SignUpField } from '$lib/forms/account';
import type { FieldErrors } from '$lib/forms/fields';
import { readCallerError } from '$lib/server/caller-error';
import { requireBridge, setSessionCookie } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  if (locals.user) redirect(303, '/keys');
};

export const actions: Actions = {
  default: async ({ request, locals, cookies }) => {
    const bridge = requireBridge(locals);
    const values = readSignUpForm(await request.formData());
    const checked = validateSignUp(values);
    if (!checked.ok) return fail(400, { username: values.username, errors: checked.errors, message: null });

    try {
      await bridge.caller.auth.register(checked.data);
    } catch (thrown) {
      const error = readCallerError(thrown);
      const errors: FieldErrors<SignUpField> = {};
      let message: string | null = null;
      if (error.code === 'USERNAME_TAKEN') errors.username = 'That username is taken. Try another.';
      else if (error.code === 'SIGN_UP_DISABLED')
        message = 'Sign-up is closed on this Keyledger. Ask an administrator for an account.';
      else if (Object.keys(error.fields).length > 0) Object.assign(errors, error.fields);
      else message = error.message;
      return fail(error.status, { username: values.username, errors, message });
    }

    try {
      setSessionCookie(cookies, bridge, await bridge.signIn(checked.data));
    } catch {
      // The account exists; if signing in straight away fails (throttling, say), let the user do it.
      redirect(303, '/sign-in?registered');
    }
    redirect(303, '/keys');
  },
};
