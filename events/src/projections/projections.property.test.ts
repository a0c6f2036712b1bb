import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkProjections,
  createEventStore,
  keyStreamId,
  rebuildProjections,
  unknownUserStreamId,
  userStreamId,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
} from '../index.js';
import {
  DAY,
  HOUR,
  keyCreated,
  keyRegenerated,
  keyRevoked,
  keyUpdated,
  keyUse,
  projectionSnapshot,
  userRegistered,
} from '../testing/fixtures.js';
import { createProjector } from './projector.js';
import { LIVE_TABLES } from './tables.js';

// Random histories of several keys and users, lifecycle and usage interleaved, at varied times (across
// hours and UTC midnights, sometimes with the clock set back). Whatever the history, the projections
// kept live must equal a full replay, and applying the recorded events again must change nothing.

const KEYS = 4;
const USERS = 3;
const ENDPOINTS = ['/query', '/ingest', '/system/info'];
const OUTCOMES = [
  { success: true, error_code: null },
  { success: false, error_code: 'RATE_LIMITED' },
  { success: false, error_code: 'INSUFFICIENT_SCOPE' },
] as const;

const key = fc.integer({ min: 0, max: KEYS - 1 });
const user = fc.integer({ min: 0, max: USERS - 1 });
const command = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      key,
      name: fc.string({ maxLength: 6 }),
      stale: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), key, stale: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('regenerate' as const),
      key,
      grace: fc.boolean(),
      stale: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('use' as const),
      key: fc.integer({ min: 0, max: KEYS }), // KEYS itself: a key that never exists
      endpoint: fc.integer({ min: 0, max: ENDPOINTS.length - 1 }),
      outcome: fc.integer({ min: 0, max: OUTCOMES.length - 1 }),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('register' as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('role' as const), user, admin: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signIn' as const), user, ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('together' as const), a: key, b: key }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      ms: fc.oneof(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: HOUR / 2, max: 3 * HOUR }),
        fc.integer({ min: DAY / 2, max: 2 * DAY }),
        fc.integer({ min: -HOUR, max: -1 }), // the clock set back
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'prune' as const }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

function run(commands: Command[]): void {
  // Just before a UTC midnight, so that ticks cross hours and days.
  let now = Date.UTC(2025, 2, 30, 23, 40);
  let latest = now;
  let regenerations = 0;
  const store: EventStore = createEventStore({
    path: ':memory:',
    clock: () => now,
    usageRetentionDays: 2,
    usage: { maxBatch: 5, flushIntervalMs: 60_000 },
  });
  try {
    const version = (stream: string) => store.streamVersion(stream);
    const expected = (stream: string, stale: boolean): ExpectedVersion => {
      const v = version(stream) - (stale ? 1 : 0);
      return v <= 0 ? 'no_stream' : v;
    };
    const appendTo = (stream: string, event: NewEvent, stale = false) => {
      const before = version(stream);
      const opening = event.type === 'key.created' || event.type === 'user.registered';
      const result = store.append(stream, opening ? 'no_stream' : expected(stream, stale), [event]);
      // A second creation, or a stale version, is a conflict and writes nothing.
      if (opening) expect(result.ok).toBe(before === 0);
      else if (stale && before > 0) expect(result.ok).toBe(false);
      return result;
    };
    const k = (i: number) => `k${i}`;

    for (const c of commands) {
      switch (c.kind) {
        case 'create':
          appendTo(keyStreamId(k(c.key)), keyCreated(k(c.key), { user_id: `u${c.key % USERS}` }));
          break;
        case 'update':
          appendTo(keyStreamId(k(c.key)), keyUpdated(k(c.key), { name: c.name }), c.stale);
          break;
        case 'revoke':
          appendTo(keyStreamId(k(c.key)), keyRevoked(k(c.key), 'test'), c.stale);
          break;
        case 'regenerate':
          appendTo(
            keyStreamId(k(c.key)),
            keyRegenerated(k(c.key), `hash-${k(c.key)}-${++regenerations}`, c.grace ? now + HOUR : null),
            c.stale,
          );
          break;
        case 'use':
          for (let i = 0; i < c.count; i++) {
            store.recordUsage(keyUse(k(c.key), { endpoint: ENDPOINTS[c.endpoint], ...OUTCOMES[c.outcome] }));
          }
          break;
        case 'flush':
          store.flush();
          break;
        case 'register':
          appendTo(userStreamId(`u${c.user}`), userRegistered(`u${c.user}`, `User${c.user}`));
          break;
        case 'role':
          if (version(userStreamId(`u${c.user}`)) > 0) {
            appendTo(userStreamId(`u${c.user}`), {
              type: 'user.role_changed',
              data: { user_id: `u${c.user}`, role: c.admin ? 'admin' : 'user' },
            });
          }
          break;
        case 'signIn': {
          const registered = version(userStreamId(`u${c.user}`)) > 0;
          if (c.ok && registered) {
            appendTo(userStreamId(`u${c.user}`), { type: 'user.signed_in', data: { user_id: `u${c.user}` } });
          } else {
            const stream = registered ? userStreamId(`u${c.user}`) : unknownUserStreamId(`User${c.user}`);
            appendTo(stream, {
              type: 'user.sign_in_failed',
              data: {
                user_id: registered ? `u${c.user}` : null,
                username: `User${c.user}`,
                reason: registered ? 'wrong_password' : 'unknown_user',
              },
            });
          }
          break;
        }
        case 'together':
          store.transaction(() => {
            appendTo(keyStreamId(k(c.a)), keyUpdated(k(c.a), { description: 'together' }));
            store.recordUsage(keyUse(k(c.b)));
            appendTo(keyStreamId(k(c.b)), keyUpdated(k(c.b), { description: null }));
          });
          break;
        case 'tick':
          now += c.ms;
          latest = Math.max(latest, now);
          break;
        case 'prune':
          store.pruneUsageLogs();
          break;
      }
    }
    // A clock set back comes forward again; the cut-off then is past every cut-off used before.
    now = latest;
    store.flush();

    const options = { usageLogCutoff: store.usageLogCutoff(), batchSize: 4 };
    expect(checkProjections(store.db, options).differences).toEqual([]);

    // Applying every recorded event again, all at once and in odd-sized runs, changes nothing.
    const live = projectionSnapshot(store.db);
    const events = store.readAll(0, 1_000_000);
    const projector = createProjector(store.db, LIVE_TABLES, { usageLogCutoff: store.usageLogCutoff });
    store.transaction(() => projector.applyAll(events));
    for (let i = 0; i < events.length; i += 3) {
      store.transaction(() => projector.applyAll(events.slice(i, i + 3)));
    }
    expect(projectionSnapshot(store.db)).toEqual(live);

    // A rebuild comes to the same tables, but for raw usage rows already past retention.
    rebuildProjections(store.db, options);
    const inRetention = (rows: unknown[]) =>
      (rows as { timestamp: number }[]).filter((r) => r.timestamp >= options.usageLogCutoff);
    const rebuilt = projectionSnapshot(store.db);
    expect({ ...rebuilt, usageLogs: inRetention(rebuilt.usageLogs) }).toEqual({
      ...live,
      usageLogs: inRetention(live.usageLogs),
    });
  } finally {
    store.close();
  }
}

describe('projections against replay', () => {
  it('keep live tables equal to a full replay, and unchanged when every event is applied again', () => {
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 80 }), run), {
      numRuns: Number(process.env.KEYLEDGER_LONG) ? 1000 : 150,
    });
  });

  it('hold for a long history with every kind of event', () => {
    const commands = fc.sample(fc.array(command, { minLength: 400, maxLength: 400 }), {
      numRuns: 3,
      seed: 42,
    });
    for (const c of commands) run(c);
  });
});
