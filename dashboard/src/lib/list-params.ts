import type { ResolvedPathname } from '$app/types';
import { keyStatusSchema, type KeyStatus } from '@keyledger/server/schemas';

export const KEYS_PAGE_SIZE = 24;
export const STATUS_FILTERS: { value: KeyStatus | null; label: string }[] = [
  { value: null, label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'expired', label: 'Expired' },
  { value: 'revoked', label: 'Revoked' },
];

export function readStatus(url: URL): KeyStatus | null {
  const parsed = keyStatusSchema.safeParse(url.searchParams.get('status'));
  return parsed.success ? parsed.data : null;
}

/** Cursors are opaque to us; anything over the schema's bound would only earn a 400. */
export function readCursor(url: URL): string | undefined {
  const cursor = url.searchParams.get('cursor');
  return cursor && cursor.length <= 200 ? cursor : undefined;
}

/**
 * A link to the current page with some query parameters replaced (null removes one). The page's own
 * pathname is already resolved against the base path, so the result is one too.
 */
export function withParams(url: URL, changes: Record<string, string | null | undefined>): ResolvedPathname {
  const params = new URLSearchParams(url.searchParams);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') params.delete(name);
    else params.set(name, value);
  }
  const query = params.toString();
  return (query ? `${url.pathname}?${query}` : url.pathname) as ResolvedPathname;
}

export const USAGE_PERIODS = [7, 14, 30, 60, 90] as const;

/** The key page's analytics period: 7 to 90 days, 30 when absent or out of range. */
export function readUsageDays(url: URL): number {
  const days = Number(url.searchParams.get('days'));
  return Number.isInteger(days) && days >= 7 && days <= 90 ? days : 30;
}
