import type { EventStore, RecordedEvent } from '@keyledger/events';
import { keyStreamId } from '@keyledger/events';
import type { AuditEntry } from '../api/schemas/index.js';
import { iso } from '../keys/key-view.js';

/** Fields an audit entry may show; hashes and anything secret are never among them. */
const SHOWN: Record<string, readonly string[]> = {
  'key.created': ['name', 'description', 'scope', 'key_prefix', 'expires_at', 'rate_limit', 'rate_window'],
  'key.updated': ['name', 'description'],
  'key.revoked': ['reason'],
  'key.regenerated': ['key_prefix', 'previous_key_expires_at'],
};
const TIMES = new Set(['expires_at', 'previous_key_expires_at']);

export function toAuditEntry(event: RecordedEvent): AuditEntry {
  const data = event.data as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  for (const field of SHOWN[event.type] ?? []) {
    if (!(field in data)) continue;
    const value = data[field];
    changes[field] = TIMES.has(field) && typeof value === 'number' ? iso(value) : value;
  }
  const m = event.metadata;
  return {
    position: event.position,
    type: event.type,
    recorded_at: iso(event.recorded_at),
    actor: m.actor ? { type: m.actor.type, id: m.actor.id, username: m.actor.username ?? null } : null,
    ip: m.ip ?? null,
    user_agent: m.user_agent ?? null,
    request_id: m.request_id ?? null,
    changes,
  };
}

/** A key's lifecycle, oldest first, from its event stream. */
export const keyHistory = (store: EventStore, keyId: string): AuditEntry[] =>
  store.readStream(keyStreamId(keyId)).map(toAuditEntry);
