// Child processes for the HTTP benchmarks: the Keyledger server as `npm start` runs it, the bare
// baseline server, and the load generator. Every one listens on or targets 127.0.0.1 only.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BENCH_PEPPER } from './seed-keys.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(url, child, what) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer ${url} within 30 s`);
}

function stopChild(child) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** Resident set size of a process, in bytes, from /proc. */
export function residentBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kib * 1024;
}

/** CPU time a process has used so far (user + system), in seconds, from /proc. */
export function cpuSeconds(pid, which = 'both') {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (user) and 15 (system) of proc(5), counted from the state field (3), in 1/100 s.
  const user = Number(fields[11]) / 100;
  const system = Number(fields[12]) / 100;
  return which === 'user' ? user : which === 'system' ? system : user + system;
}

/**
 * Runs the load against a server and adds what the server spent: CPU microseconds per answered
 * request, warm-up included. Less disturbed than requests per second when the machine is busy.
 */
export async function measure(server, spec) {
  const before = { user: cpuSeconds(server.pid, 'user'), system: cpuSeconds(server.pid, 'system') };
  const result = await load({ ...spec, url: server.url });
  const answered = result.requests + (result.warmup?.requests ?? 0);
  const user = ((cpuSeconds(server.pid, 'user') - before.user) * 1e6) / answered;
  const system = ((cpuSeconds(server.pid, 'system') - before.system) * 1e6) / answered;
  return { ...result, cpuPerRequest: user + system, userCpuPerRequest: user, systemCpuPerRequest: system };
}

/**
 * Starts `node server/dist/main.js` on a database seeded with BENCH_PEPPER; resolves when it answers.
 * `nodeArgs` go to node itself (`--cpu-prof` for a profile, written when the server stops).
 */
export async function startKeyledger(databasePath, env = {}, nodeArgs = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, `${root}server/dist/main.js`], {
    env: {
      ...process.env,
      DATABASE_PATH: databasePath,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'silent',
      KEYLEDGER_PEPPER: BENCH_PEPPER,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`, child, 'the Keyledger server');
  return {
    url,
    pid: child.pid,
    health: async () => (await (await fetch(`${url}/healthz`)).json()).events,
    /** SIGTERM: the server finishes what is in flight, flushes usage, closes the database. */
    stop: () => stopChild(child),
  };
}

/** Starts the bare node:http baseline answering `answers` (path → JSON text). */
export async function startBare(answers) {
  const child = spawn(process.execPath, [`${root}bench/lib/bare-server.mjs`, JSON.stringify(answers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopChild(child) };
}

/** Runs the load generator in its own process; resolves to its figures (see load.mjs). */
export function load(spec) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [`${root}bench/lib/load.mjs`, JSON.stringify(spec)],
      { maxBuffer: 1 << 20, timeout: (spec.seconds + (spec.warmupSeconds ?? 0) + 60) * 1000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`load generator failed: ${stderr || error.message}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      },
    );
  });
}
