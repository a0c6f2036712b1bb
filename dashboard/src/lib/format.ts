// Every time on the dashboard is shown in UTC, the server's clock: the audit trail, the usage rollups
// (UTC days) and the as-of control then all speak the same time, and server and browser render alike.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "Mar 4, 2025" */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** "Mar 4, 2025, 14:05 UTC" */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return `${formatDate(iso)}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** "Mar 4, 2025, 14:05:09.123 UTC", for the audit trail where order within a minute matters. */
export function formatPreciseDateTime(iso: string): string {
  const d = new Date(iso);
  return `${formatDate(iso)}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')} UTC`;
}

/** "Mar 4" from a "YYYY-MM-DD" UTC day. */
export function formatDay(day: string): string {
  const [, month, date] = day.split('-').map(Number);
  return `${MONTHS[(month ?? 1) - 1]} ${date}`;
}

const UNITS: [string, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 days ago", "in 5 hours", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const delta = new Date(iso).getTime() - now;
  const abs = Math.abs(delta);
  for (const [unit, ms] of UNITS) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const label = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return delta < 0 ? `${label} ago` : `in ${label}`;
    }
  }
  return 'just now';
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** A 0–1 ratio as "97.3%"; null (no calls) as an em dash. */
export function formatPercent(ratio: number | null): string {
  if (ratio === null) return '—';
  const pct = ratio * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  return `${pct < 0.1 ? pct.toFixed(2) : pct.toFixed(1)}%`;
}

/** "3,600 per hour" from a limit and a window in seconds. */
export function formatRateLimit(limit: number, windowSeconds: number): string {
  const per =
    windowSeconds === 3600
      ? 'hour'
      : windowSeconds === 60
        ? 'minute'
        : windowSeconds === 86_400
          ? 'day'
          : `${windowSeconds} s`;
  return `${formatNumber(limit)} per ${per}`;
}

/** A UTC ISO time as the value of a datetime-local input ("2025-03-04T14:05:09"). */
export function toDateTimeLocal(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19);
}

/** The value of a datetime-local input, read as UTC, to ISO; null when it is not a time. */
export function fromDateTimeLocal(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return null;
  const d = new Date(`${value}Z`);
  // Date rolls 30 February over into March; a time that does not exist is not a time.
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 16) !== value.slice(0, 16)) return null;
  return d.toISOString();
}
