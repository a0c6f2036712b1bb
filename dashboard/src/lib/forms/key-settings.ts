import { keyDescriptionSchema, keyNameSchema, MAX_GRACE_PERIOD_SECONDS } from '@keyledger/server/schemas';
import { formString, hasErrors, problem } from './fields.js';
import type { FieldErrors, Validated } from './fields.js';

export type UpdateField = 'name' | 'description';

export function readUpdateForm(form: FormData): { name: string; description: string } {
  return { name: formString(form, 'name'), description: formString(form, 'description') };
}

export function validateUpdate(values: {
  name: string;
  description: string;
}): Validated<{ name: string; description: string | null }, UpdateField> {
  const errors: FieldErrors<UpdateField> = {
    name: problem(keyNameSchema, values.name) ?? undefined,
    description: problem(keyDescriptionSchema, values.description) ?? undefined,
  };
  if (hasErrors(errors)) return { ok: false, errors };
  return {
    ok: true,
    data: {
      name: values.name.trim(),
      description: values.description.trim() === '' ? null : values.description,
    },
  };
}

/** Stripe-style roll: the old secret can keep working for a while, so deployments can switch over. */
export const GRACE_PERIODS: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Immediately' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86_400, label: 'In 24 hours' },
  { seconds: 3 * 86_400, label: 'In 3 days' },
  { seconds: MAX_GRACE_PERIOD_SECONDS, label: 'In 7 days' },
];

export function readGracePeriod(form: FormData): number | null {
  const seconds = Number(formString(form, 'grace_period_seconds'));
  return GRACE_PERIODS.some((p) => p.seconds === seconds) ? seconds : null;
}

export const REVOKE_REASON_MAX = 500;

export function readRevokeReason(form: FormData): string | undefined {
  const reason = formString(form, 'reason').trim();
  return reason === '' ? undefined : reason.slice(0, REVOKE_REASON_MAX);
}
