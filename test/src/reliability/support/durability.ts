import { readLog } from './database-checks.js';
import type { AckedVerification, Ledger } from './key-load.js';

export interface DurabilityReport {
  /** Acknowledged lifecycle changes the database does not show: must be empty. */
  problems: string[];
  /** Acknowledged verifications of a key with no `key.used` event. */
  lostUses: AckedVerification[];
  /** Acknowledged verifications that identified a key (and so must have recorded a use). */
  identifiedUses: number;
}

/**
 * Compares what the server acknowledged (the ledger) with what its database holds: every acknowledged
 * generate, revoke and regenerate must be in the log and the projection; uses are reported, and the
 * caller decides which losses its scenario allows.
 */
export function checkLedger(
  databasePath: string,
  ledger: Ledger,
  verifications: AckedVerification[] = ledger.verifications,
  options: { changesMayFollow?: boolean } = {},
): DurabilityReport {
  const log = readLog(databasePath);
  const problems: string[] = [];
  const counts = new Map<string, Record<string, number>>();
  for (const e of log.keyEvents) {
    const c = counts.get(e.key_id) ?? {};
    c[e.type] = (c[e.type] ?? 0) + 1;
    counts.set(e.key_id, c);
  }
  for (const key of ledger.keys.values()) {
    const c = counts.get(key.keyId) ?? {};
    const row = log.keys.get(key.keyId);
    if (c['key.created'] !== 1 || !row) {
      problems.push(`${key.keyId}: acknowledged generate missing (created events: ${c['key.created'] ?? 0})`);
      continue;
    }
    const revokedEvents = c['key.revoked'] ?? 0;
    if (key.revoked && (revokedEvents !== 1 || row.status !== 'revoked')) {
      problems.push(
        `${key.keyId}: acknowledged revoke missing (status ${row.status}, events ${revokedEvents})`,
      );
    }
    // Unless later changes may have reached the database (a backup taken under load), nothing
    // unacknowledged happened either.
    const exact = key.unanswered === 0 && !options.changesMayFollow;
    if (!key.revoked && exact && (revokedEvents !== 0 || row.status !== 'active')) {
      problems.push(`${key.keyId}: revoked without a revoke (status ${row.status})`);
    }
    const regenerated = c['key.regenerated'] ?? 0;
    const most = options.changesMayFollow ? Infinity : key.regenerations + key.unanswered;
    if (regenerated < key.regenerations || regenerated > most) {
      problems.push(
        `${key.keyId}: ${regenerated} regenerated events for ${key.regenerations} acknowledged (+${key.unanswered} unanswered)`,
      );
    }
  }
  const identified = verifications.filter((v) => v.keyId !== null);
  const lostUses = identified.filter((v) => !log.useRequestIds.has(v.requestId));
  return { problems, lostUses, identifiedUses: identified.length };
}
