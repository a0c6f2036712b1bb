import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEventStore,
  keyStateAsOf,
  keyStateFromRow,
  keyStreamId,
  type ApiKeyRow,
  type EventStore,
  type KeyState,
  type NewEvent,
} from '../index.js';
import { keyCreated, keyRegenerated, keyRevoked, keyUpdated, keyUse } from '../testing/fixtures.js';

const row = (store: EventStore, keyId: string): KeyState | null => {
  const r = store.db.prepare('SELECT * FROM api_keys WHERE key_id = ?').get(keyId) as ApiKeyRow | undefined;
  return r ? keyStateFromRow(r) : null;
};

/** One step of a key's life: a lifecycle event, or some uses written by a flush. */
const step = (keyId: string) =>
  fc
    .oneof(
      fc.record({ kind: fc.constant('update' as const), name: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant('regenerate' as const), grace: fc.boolean() }),
      fc.constant({ kind: 'revoke' as const }),
      fc.record({
        kind: fc.constant('use' as const),
        count: fc.integer({ min: 1, max: 5 }),
        ok: fc.boolean(),
      }),
    )
    .map((s) => ({ ...s, keyId }));

describe('as-of reads', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it('folds to what the projection held at each recorded time and at each position', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(step('k1'), step('k2')), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 3_600_000 }), { minLength: 30, maxLength: 30 }),
        (steps, gaps) => {
          let now = Date.UTC(2025, 0, 1);
          store = createEventStore({ path: ':memory:', clock: () => now });
          const versions = new Map<string, number>();
          const snapshots: { keyId: string; time: number; position: number; state: KeyState | null }[] = [];
          const append = (keyId: string, event: NewEvent) => {
            const v = versions.get(keyId) ?? 0;
            const result = store.append(keyStreamId(keyId), v === 0 ? 'no_stream' : v, [event]);
            if (!result.ok) throw new Error('unexpected conflict');
            versions.set(keyId, result.streamVersion);
          };
          append('k1', keyCreated('k1'));
          append('k2', keyCreated('k2'));
          steps.forEach((s, i) => {
            // A strictly increasing clock: every write gets its own time.
            now += gaps[i] ?? 1;
            if (s.kind === 'update') append(s.keyId, keyUpdated(s.keyId, { name: s.name }));
            else if (s.kind === 'revoke') append(s.keyId, keyRevoked(s.keyId, `step ${i}`));
            else if (s.kind === 'regenerate') {
              append(s.keyId, keyRegenerated(s.keyId, `hash-${s.keyId}-${i}`, s.grace ? now + 60_000 : null));
            } else {
              for (let u = 0; u < s.count; u++) {
                store.recordUsage(
                  keyUse(s.keyId, { success: s.ok, error_code: s.ok ? null : 'RATE_LIMITED' }),
                );
              }
              store.flush();
            }
            const position = store.db.prepare('SELECT max(position) FROM events').pluck().get() as number;
            for (const keyId of ['k1', 'k2']) {
              snapshots.push({ keyId, time: now, position, state: row(store, keyId) });
            }
          });
          for (const { keyId, time, position, state } of snapshots) {
            expect(keyStateAsOf(store.db, keyId, { time })).toEqual(state);
            expect(keyStateAsOf(store.db, keyId, { position })).toEqual(state);
          }
          store.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('knows nothing of a key before its creation, nor of a key that never existed', () => {
    let now = 1_000;
    store = createEventStore({ path: ':memory:', clock: () => now });
    store.recordUsage(keyUse('k1'));
    store.flush();
    now = 2_000;
    store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    expect(keyStateAsOf(store.db, 'k1', { time: 1_999 })).toBeNull();
    expect(keyStateAsOf(store.db, 'k1', { position: 1 })).toBeNull();
    // The use recorded before the key existed is not counted, as in the projection.
    expect(keyStateAsOf(store.db, 'k1', { time: 2_000 })).toEqual(row(store, 'k1'));
    expect(keyStateAsOf(store.db, 'nope', { time: 5_000 })).toBeNull();
  });

  it('stops at the first event recorded after the time asked, when the clock was set back between events', () => {
    let now = 5_000;
    store = createEventStore({ path: ':memory:', clock: () => now });
    store.append(keyStreamId('k1'), 'no_stream', [keyCreated('k1')]);
    now = 9_000;
    store.append(keyStreamId('k1'), 1, [keyUpdated('k1', { name: 'at nine' })]);
    now = 7_000; // the clock went back
    store.append(keyStreamId('k1'), 2, [keyRevoked('k1')]);
    // At 8,000 the key had been created, and nothing more: the later revocation's earlier time does not
    // pull it in ahead of the update it followed.
    expect(keyStateAsOf(store.db, 'k1', { time: 8_000 })).toMatchObject({ name: 'key k1', status: 'active' });
    expect(keyStateAsOf(store.db, 'k1', { time: 9_000 })).toEqual(row(store, 'k1'));
  });
});
