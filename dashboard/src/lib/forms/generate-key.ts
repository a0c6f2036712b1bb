import {
  expiresInDaysSchema,
  generateKeyInput,
  keyDescriptionSchema,
  keyNameSchema,
  keyScopeSchema,
  rateLimitSchema,
  type GenerateKeyInput,
  type KeyScope,
} from '@keyledger/server/schemas';
import { formString, hasErrors, parseWholeNumber, problem, wholeNumberProblem } from './fields.js';
import type { FieldErrors, Validated } from './fields.js';

export type GenerateField = 'name' | 'description' | 'scope' | 'expires_in_days' | 'rate_limit';

/** The generate form as the browser holds it: strings, and the expiry choice apart from its days. */
export interface GenerateFormValues {
  name: string;
  description: string;
  scope: string;
  expiry: 'never' | 'days';
  expires_in_days: string;
  rate_limit: string;
}

export const GENERATE_DEFAULTS: GenerateFormValues = {
  name: '',
  description: '',
  scope: 'read_only',
  expiry: 'never',
  expires_in_days: '90',
  rate_limit: '100',
};

export function readGenerateForm(form: FormData): GenerateFormValues {
  return {
    name: formString(form, 'name'),
    description: formString(form, 'description'),
    scope: formString(form, 'scope'),
    expiry: formString(form, 'expiry') === 'days' ? 'days' : 'never',
    expires_in_days: formString(form, 'expires_in_days'),
    rate_limit: formString(form, 'rate_limit'),
  };
}

/** Checks each field with the server's own schemas, then builds the input the server will parse again. */
export function validateGenerate(
  values: GenerateFormValues,
  opts: { isAdmin: boolean },
): Validated<GenerateKeyInput, GenerateField> {
  const errors: FieldErrors<GenerateField> = {
    name: problem(keyNameSchema, values.name) ?? undefined,
    description: problem(keyDescriptionSchema, values.description) ?? undefined,
    scope: scopeProblem(values.scope, opts.isAdmin) ?? undefined,
    expires_in_days:
      values.expiry === 'days'
        ? (wholeNumberProblem(expiresInDaysSchema, values.expires_in_days, 'the number of days') ?? undefined)
        : undefined,
    rate_limit: wholeNumberProblem(rateLimitSchema, values.rate_limit, 'a rate limit') ?? undefined,
  };
  if (hasErrors(errors)) return { ok: false, errors };
  const parsed = generateKeyInput.safeParse({
    name: values.name,
    description: values.description.trim() === '' ? null : values.description,
    scope: values.scope,
    expires_in_days: values.expiry === 'days' ? parseWholeNumber(values.expires_in_days) : null,
    rate_limit: parseWholeNumber(values.rate_limit),
  });
  if (!parsed.success) {
    const fieldErrors: FieldErrors<GenerateField> = {};
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'name') as GenerateField;
      fieldErrors[field] ??= issue.message;
    }
    return { ok: false, errors: fieldErrors };
  }
  return { ok: true, data: parsed.data };
}

function scopeProblem(scope: string, isAdmin: boolean): string | null {
  const parsed = keyScopeSchema.safeParse(scope);
  if (!parsed.success) return 'Choose a scope.';
  const chosen: KeyScope = parsed.data;
  if (chosen === 'admin' && !isAdmin) return 'Only administrators can create admin keys.';
  return null;
}
