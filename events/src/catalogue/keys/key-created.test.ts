import { afterEach, describe, expect, it } from 'vitest';
import {
  chainHash,
  checkProjections,
  createEventStore,
  DEFAULT_RATE_WINDOW_SECONDS,
  GENESIS_HASH,
  keyStateAsOf,
  keyStreamId,
  rebuildProjections,
  verifyChain,
  type EventStore,
} from '../../index.js';
import { keyRevoked } from '../../testing/fixtures.js';

/** key.created as version 1 wrote it: a fixed one-hour window and no metadata. */
const v1 = {
  key_id: 'old',
  user_id: 'u1',
  name: 'from before v2',
  description: null,
  scope: 'read_only',
  key_hash: 'hash-old',
  key_prefix: 'rag_old1',
  expires_at: null,
  rate_limit: 50,
};

/** Writes a stored v1 event the way an older build did, chain hash included. */
function appendV1(store: EventStore, recordedAt: number): void {
  const content = {
    stream_id: keyStreamId('old'),
    stream_position: 1,
    event_id: '00000000-0000-4000-8000-000000000001',
    type: 'key.created',
    schema_version: 1,
    data: JSON.stringify(v1),
    metadata: '{}',
    recorded_at: recordedAt,
  };
  const previous =
    (store.db.prepare('SELECT hash FROM events ORDER BY position DESC LIMIT 1').pluck().get() as string) ??
    GENESIS_HASH;
  store.db
    .prepare(
      `INSERT INTO events (stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash)
       VALUES (@stream_id, @stream_position, @event_id, @type, @schema_version, @data, @metadata, @recorded_at, @hash)`,
    )
    .run({ ...content, hash: chainHash(previous, content) });
}

describe('key.created upcasting', () => {
  let store: EventStore;
  afterEach(() => store?.close());

  it('reads a stored v1 key.created back as v2, with the one-hour window and no metadata', () => {
    store = createEventStore({ path: ':memory:' });
    appendV1(store, 1_000);
    const [event] = store.readStream(keyStreamId('old'));
    expect(event).toMatchObject({ type: 'key.created', schema_version: 1 });
    expect(event?.data).toEqual({ ...v1, rate_window: DEFAULT_RATE_WINDOW_SECONDS, metadata: null });
    expect(verifyChain(store.db)).toMatchObject({ ok: true, events: 1 });
  });

  it('projects a v1 key through replay, folds it as of a time, and keeps projecting new events over it', () => {
    let now = 1_000;
    store = createEventStore({ path: ':memory:', clock: () => now });
    appendV1(store, now);
    const options = { usageLogCutoff: 0 };
    // Written around the projector, the key is in the log but not in api_keys: check says so.
    expect(checkProjections(store.db, options).differences).toMatchObject([
      { table: 'api_keys', kind: 'missing', key: { key_id: 'old' } },
    ]);
    rebuildProjections(store.db, options);
    expect(
      store.db
        .prepare("SELECT rate_limit, rate_window, metadata, status FROM api_keys WHERE key_id = 'old'")
        .get(),
    ).toEqual({
      rate_limit: 50,
      rate_window: DEFAULT_RATE_WINDOW_SECONDS,
      metadata: null,
      status: 'active',
    });

    now = 2_000;
    expect(store.append(keyStreamId('old'), 1, [keyRevoked('old', 'retired')]).ok).toBe(true);
    expect(checkProjections(store.db, options).differences).toEqual([]);
    expect(keyStateAsOf(store.db, 'old', { time: 1_500 })).toMatchObject({
      status: 'active',
      rate_window: DEFAULT_RATE_WINDOW_SECONDS,
      created_at: 1_000,
    });
    expect(keyStateAsOf(store.db, 'old', { time: 2_000 })).toMatchObject({
      status: 'revoked',
      revoke_reason: 'retired',
    });
  });

  it('refuses to read an event stored by a newer build than this one', () => {
    store = createEventStore({ path: ':memory:' });
    appendV1(store, 1_000);
    store.db.exec('DROP TRIGGER events_are_append_only_update');
    store.db.exec('UPDATE events SET schema_version = 3');
    expect(() => store.readStream(keyStreamId('old'))).toThrow(/newer than this build knows/);
  });
});
