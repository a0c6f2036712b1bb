import { fromDateTimeLocal } from './format.js';

/**
 * Reads `?as_of=`: an ISO time with a zone (from the audit timeline's links) or a datetime-local value
 * (from the form), which the dashboard reads as UTC like every time it shows.
 */
export function readAsOf(url: URL): { asOf: string | null; error: string | null } {
  const raw = url.searchParams.get('as_of');
  if (raw === null || raw === '') return { asOf: null, error: null };
  const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(raw);
  const parsed = hasZone ? new Date(raw) : null;
  const iso =
    parsed && !Number.isNaN(parsed.getTime())
      ? parsed.toISOString()
      : hasZone
        ? null
        : fromDateTimeLocal(raw);
  if (!iso) return { asOf: null, error: 'Enter a date and time, such as 2025-03-04 14:05.' };
  return { asOf: iso, error: null };
}
