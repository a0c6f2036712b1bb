// A separate process for the events tests, running the built package (events/dist):
//   node log-writer.mjs <db> append      appends key.created events until killed, printing each result
//                                        as a JSON line once append has returned, and some uses
//   node log-writer.mjs <db> race <n>    tries to create keys race-0 … race-<n-1>, printing who won each
import { createEventStore, keyStreamId } from '../../dist/index.js';

const [path, mode, count] = process.argv.slice(2);
const store = createEventStore({ path, busyTimeoutMs: 10_000 });
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const created = (keyId) => ({
  type: 'key.created',
  data: {
    key_id: keyId,
    user_id: 'u1',
    name: `key ${keyId}`,
    description: null,
    scope: 'read_only',
    key_hash: `hash-${keyId}`,
    key_prefix: 'rag_abcd',
    expires_at: null,
    rate_limit: 100,
    rate_window: 3600,
    metadata: null,
  },
});

if (mode === 'append') {
  for (let i = 0; ; i++) {
    const keyId = `c${i}`;
    const result = store.append(keyStreamId(keyId), 'no_stream', [created(keyId)]);
    print({ keyId, positions: result.positions });
    for (let u = 0; u < 3; u++) {
      store.recordUsage({
        key_id: keyId,
        endpoint: '/query',
        ip: null,
        user_agent: null,
        success: true,
        error_code: null,
      });
    }
    if (i % 5 === 4) {
      store.flush();
      print({ usesWritten: store.usageStats().written });
    }
  }
} else if (mode === 'race') {
  for (let i = 0; i < Number(count); i++) {
    const result = store.append(keyStreamId(`race-${i}`), 'no_stream', [created(`race-${i}`)]);
    print({ i, won: result.ok });
  }
  store.close();
}
