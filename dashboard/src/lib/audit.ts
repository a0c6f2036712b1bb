import type { AuditEntry } from '@keyledger/server/schemas';
import { formatDateTime } from './format.js';

export type AuditTone = 'create' | 'edit' | 'revoke' | 'rotate' | 'other';

const TITLES: Record<string, { title: string; tone: AuditTone }> = {
  'key.created': { title: 'Key created', tone: 'create' },
  'key.updated': { title: 'Details edited', tone: 'edit' },
  'key.revoked': { title: 'Key revoked', tone: 'revoke' },
  'key.regenerated': { title: 'Secret regenerated', tone: 'rotate' },
};

export function auditTitle(entry: AuditEntry): { title: string; tone: AuditTone } {
  return TITLES[entry.type] ?? { title: entry.type, tone: 'other' };
}

const LABELS: Record<string, string> = {
  name: 'Name',
  description: 'Description',
  scope: 'Scope',
  expires_at: 'Expires',
  rate_limit: 'Rate limit',
  rate_window: 'Rate window',
  reason: 'Reason',
  previous_key_expires_at: 'Previous secret stops',
  key_prefix: 'Key prefix',
  status: 'Status',
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function formatValue(field: string, value: unknown): string {
  if (value === null || value === undefined) {
    if (field === 'expires_at') return 'never';
    if (field === 'previous_key_expires_at') return 'at once';
    return 'none';
  }
  if (typeof value === 'string') return ISO_TIME.test(value) ? formatDateTime(value) : value;
  if (typeof value === 'number') {
    if (field === 'rate_window') return `${value} s`;
    if (field.endsWith('_at')) return formatDateTime(new Date(value).toISOString());
    return value.toLocaleString('en-US');
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

/** The changes an event made, as label/value pairs; key_id repeats the page and is left out. */
export function auditChanges(entry: AuditEntry): { label: string; value: string }[] {
  return Object.entries(entry.changes)
    .filter(([field]) => field !== 'key_id')
    .map(([field, value]) => ({
      label: LABELS[field] ?? field.replace(/_/g, ' '),
      value: formatValue(field, value),
    }));
}

export function auditActor(entry: AuditEntry): string {
  const actor = entry.actor;
  if (!actor) return 'unknown';
  if (actor.type === 'system') return 'Keyledger';
  if (actor.username) return actor.username;
  return actor.id ? `${actor.type} ${actor.id}` : actor.type;
}

/** A short, readable client name from a user agent: "Chrome 120", "curl 8.5", "python-requests 2.31". */
export function shortUserAgent(ua: string | null): string | null {
  if (!ua) return null;
  const patterns: [RegExp, string][] = [
    [/Edg\/(\d+)/, 'Edge'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
    [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
    [/Version\/(\d+).*Safari/, 'Safari'],
    [/^curl\/([\d.]+)/, 'curl'],
    [/^python-requests\/([\d.]+)/, 'python-requests'],
    [/^Python-urllib\/([\d.]+)/, 'Python urllib'],
    [/^node(?:-fetch)?\/?([\d.]*)/i, 'Node.js'],
    [/^undici/, 'Node.js'],
    [/^keyledger-sdk\/([\d.]+)/i, 'Keyledger SDK'],
  ];
  for (const [pattern, name] of patterns) {
    const match = pattern.exec(ua);
    if (match) return match[1] ? `${name} ${match[1]}` : name;
  }
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
