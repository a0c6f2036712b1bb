import type { SubmitFunction } from '@sveltejs/kit';
import { tick } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import type { FieldErrors } from './fields.js';

/**
 * Client-side validation for a form with the server's rules. A field is judged once the user has left it
 * (or tried to submit), and from then on at every keystroke; until then it shows what the server said.
 * The server checks everything again: this only saves a round trip.
 */
export class LiveValidation<F extends string> {
  #validate: (form: FormData) => FieldErrors<F>;
  #errors: FieldErrors<F> = $state({});
  #judged = new SvelteSet<string>();

  constructor(validate: (form: FormData) => FieldErrors<F>) {
    this.#validate = validate;
  }

  /** The message to show beside a field: the client's verdict once it has one, else the server's. */
  message(field: F, fromServer?: FieldErrors<F> | null): string | undefined {
    return this.#judged.has(field) ? this.#errors[field] : (fromServer?.[field] ?? undefined);
  }

  /** For the form's `oninput` and `onfocusout`. */
  track = (event: Event) => {
    const form = event.currentTarget;
    const target = event.target as { name?: unknown } | null;
    if (!(form instanceof HTMLFormElement) || typeof target?.name !== 'string' || target.name === '') return;
    if (event.type === 'focusout' || event.type === 'change') this.#judged.add(target.name);
    if (this.#judged.has(target.name)) this.#errors = this.#validate(new FormData(form));
  };

  /** Before submitting: judge every field; true when the form may go. */
  check(form: FormData, fields: readonly F[]): boolean {
    this.#errors = this.#validate(form);
    for (const field of fields) this.#judged.add(field);
    return !Object.values(this.#errors).some(Boolean);
  }

  /** After the server answered, its messages take over again. */
  reset(): void {
    this.#judged.clear();
    this.#errors = {};
  }

  /** True while the form's submission is on its way. */
  submitting = $state(false);

  /**
   * For `use:enhance`: judges every field first and keeps the form (focus on the first bad field) when one
   * fails; otherwise submits, keeps what was typed, and hands the fields back to the server's verdict.
   */
  submit(fields: readonly F[], after?: () => void): SubmitFunction {
    return ({ formElement, formData, cancel }) => {
      if (!this.check(formData, fields)) {
        cancel();
        void focusFirstInvalid(formElement);
        return;
      }
      this.submitting = true;
      return async ({ update }) => {
        await update({ reset: false });
        this.submitting = false;
        this.reset();
        after?.();
        void focusFirstInvalid(formElement);
      };
    };
  }
}

/** Moves focus to the first field marked invalid, so keyboard and screen-reader users land on it. */
export async function focusFirstInvalid(form: HTMLFormElement | undefined): Promise<void> {
  await tick();
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
