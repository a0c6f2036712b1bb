import { passwordSchema, registerInput, tokenInput, usernameSchema } from '@keyledger/server/schemas';
import type { RegisterInput, TokenInput } from '@keyledger/server/schemas';
import { formString, hasErrors, problem } from './fields.js';
import type { FieldErrors, Validated } from './fields.js';

export type SignUpField = 'username' | 'password' | 'confirm';
export type SignInField = 'username' | 'password';

export interface SignUpValues {
  username: string;
  password: string;
  confirm: string;
}

export function readSignUpForm(form: FormData): SignUpValues {
  return {
    username: formString(form, 'username'),
    password: formString(form, 'password'),
    confirm: formString(form, 'confirm'),
  };
}

export function validateSignUp(values: SignUpValues): Validated<RegisterInput, SignUpField> {
  const errors: FieldErrors<SignUpField> = {
    username: problem(usernameSchema, values.username) ?? undefined,
    password: problem(passwordSchema, values.password) ?? undefined,
    confirm:
      values.confirm === ''
        ? 'Repeat the password.'
        : values.confirm !== values.password
          ? 'The passwords do not match.'
          : undefined,
  };
  if (hasErrors(errors)) return { ok: false, errors };
  const parsed = registerInput.safeParse({ username: values.username, password: values.password });
  return parsed.success
    ? { ok: true, data: parsed.data }
    : { ok: false, errors: { username: 'Check the username and password.' } };
}

export function readSignInForm(form: FormData): { username: string; password: string } {
  return { username: formString(form, 'username'), password: formString(form, 'password') };
}

export function validateSignIn(values: {
  username: string;
  password: string;
}): Validated<TokenInput, SignInField> {
  const errors: FieldErrors<SignInField> = {
    username: values.username.trim() === '' ? 'Enter your username.' : undefined,
    password: values.password === '' ? 'Enter your password.' : undefined,
  };
  if (hasErrors(errors)) return { ok: false, errors };
  const parsed = tokenInput.safeParse({ username: values.username.trim(), password: values.password });
  return parsed.success
    ? { ok: true, data: parsed.data }
    : { ok: false, errors: { username: 'Check the username and password.' } };
}
