/** Problems to show beside form fields, keyed by field name. */
export type FieldErrors<F extends string = string> = Partial<Record<F, string>>;

export type Validated<T, F extends string> = { ok: true; data: T } | { ok: false; errors: FieldErrors<F> };

interface Issue {
  path: PropertyKey[];
  message: string;
}

/** The shape of a zod schema we rely on; structural, so this module needs no zod import. */
export interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Issue[] } };
}

/** "at most 100 characters" → "At most 100 characters." */
export function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The first problem a schema finds with one value, as a sentence; null when it is fine. */
export function problem<T>(schema: Schema<T>, value: unknown): string | null {
  const result = schema.safeParse(value);
  if (result.success) return null;
  const first = result.error.issues[0];
  return first ? sentence(first.message) : 'This value is not valid.';
}

/** Form inputs give strings; the schemas want whole numbers. NaN for anything that is not one. */
export function parseWholeNumber(value: string): number {
  const trimmed = value.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** The message for a number field, stated from the schema's own bounds so the rule lives in one place. */
export function wholeNumberProblem(
  schema: Schema<number> & { minValue: number | null; maxValue: number | null },
  raw: string,
  what: string,
): string | null {
  if (raw.trim() === '') return `Enter ${what}.`;
  if (schema.safeParse(parseWholeNumber(raw)).success) return null;
  return `Enter a whole number from ${(schema.minValue ?? 0).toLocaleString('en-US')} to ${(schema.maxValue ?? 0).toLocaleString('en-US')}.`;
}

export function formString(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}
