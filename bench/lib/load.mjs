// The load generator, run as its own process so that it never shares an event loop with the server it
// measures: autocannon with a fixed number of connections for a fixed time, against 127.0.0.1 only.
//
//   node bench/lib/load.mjs '<json>'   prints one JSON line with the result
//
// The JSON names: url (http://127.0.0.1:PORT only), method, path, headers, connections, seconds,
// warmupSeconds, and how each request carries a key: `keys` (a file with one key a line, drawn at
// random for each request) placed as `keyIn: 'body'` ({"key": ...} plus `bodyExtra`) or
// `keyIn: 'bearer'` (Authorization header, with `body` as the fixed body); `expect` is a substring
// that marks a good answer (a 2xx answer without it counts as `unexpected`).
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

const spec = JSON.parse(process.argv[2]);
const target = new URL(spec.url);
if (target.hostname !== '127.0.0.1') throw new Error('load goes to 127.0.0.1 only');

const keys = spec.keys ? readFileSync(spec.keys, 'utf8').split('\n').filter(Boolean) : [];
const bodyExtra = spec.bodyExtra ? JSON.stringify(spec.bodyExtra).slice(1, -1) : '';
const baseHeaders = { 'content-type': 'application/json', ...spec.headers };

/** One request's shape: a random stored key in the body or in the Authorization header. */
function setupRequest(req) {
  if (keys.length === 0) return req;
  const key = keys[Math.floor(Math.random() * keys.length)];
  if (spec.keyIn === 'body') {
    req.body = `{"key":"${key}"${bodyExtra ? `,${bodyExtra}` : ''}}`;
  } else {
    req.headers = { ...baseHeaders, authorization: `Bearer ${key}` };
  }
  return req;
}

function run(seconds, record) {
  return new Promise((resolve, reject) => {
    let good = 0;
    let unexpected = 0;
    const latencies = [];
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        headers: baseHeaders,
        requests: [
          {
            method: spec.method ?? 'POST',
            path: spec.path,
            body: spec.body,
            setupRequest,
            onResponse: (status, body) => {
              if (status >= 200 && status < 300 && (!spec.expect || body.includes(spec.expect))) good++;
              else unexpected++;
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({ result, good, unexpected, latencies });
      },
    );
    // autocannon's own histogram keeps whole milliseconds; these keep the fraction.
    if (record) instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

const quantile = (sorted, q) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const warmup = spec.warmupSeconds > 0 ? await run(spec.warmupSeconds, false) : null;
const { result, good, unexpected, latencies } = await run(spec.seconds, true);
const sorted = Float64Array.from(latencies).sort();
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    sent: result.requests.sent,
    seconds: result.duration,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? null,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    good,
    unexpected,
    warmup: warmup && {
      requests: warmup.result.requests.total,
      sent: warmup.result.requests.sent,
      good: warmup.good,
      unexpected: warmup.unexpected,
    },
  })}\n`,
);
