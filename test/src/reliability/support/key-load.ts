import { randomBytes } from 'node:crypto';

/** A key whose generate was acknowledged, and what the client knows of it since. */
export interface TrackedKey {
  keyId: string;
  /** The newest secret the client was given. */
  secret: string;
  revoked: boolean;
  /** Acknowledged regenerations. */
  regenerations: number;
  /** Regenerations or revocations sent but never answered: they may or may not have happened. */
  unanswered: number;
}

export interface AckedVerification {
  requestId: string;
  keyId: string | null;
  code: string;
  /** performance.now() when the answer had arrived. */
  ackAt: number;
}

/** Everything a load run was told by the server: what must survive. */
export interface Ledger {
  keys: Map<string, TrackedKey>;
  verifications: AckedVerification[];
  /** Every plaintext key, token and password the run handled, for the byte search. */
  secrets: Set<string>;
  /** Answers with a 5xx status, by code: none is expected. */
  serverErrors: string[];
  /** Requests that got no answer (the server died or refused the connection). */
  unanswered: number;
}

export const newLedger = (): Ledger => ({
  keys: new Map(),
  verifications: [],
  secrets: new Set(),
  serverErrors: [],
  unanswered: 0,
});

export interface Mix {
  generate: number;
  revoke: number;
  regenerate: number;
  verify: number;
}

export const MIXED: Mix = { generate: 0.1, revoke: 0.04, regenerate: 0.08, verify: 0.78 };

export interface LoadOptions {
  /** One base URL per server; each request picks one at random. */
  urls: string[];
  token: string;
  ledger: Ledger;
  concurrency: number;
  mix?: Mix;
  /** A label that makes request ids unique across runs. */
  label: string;
  /** Pause between a worker's requests (ms), to keep the machine responsive; default 0. */
  pauseMs?: number;
}

export interface LoadRun {
  /** Asks the workers to stop after their current request, and waits for them. */
  stop(): Promise<void>;
  /** Requests answered so far. */
  answered(): number;
}

const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

type Json = Record<string, unknown>;

async function send(
  url: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  requestId?: string,
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (requestId) headers['x-request-id'] = requestId;
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Json = {};
  try {
    parsed = text ? (JSON.parse(text) as Json) : {};
  } catch {
    parsed = { unparsed: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

/**
 * Mixed key traffic (generate, revoke, regenerate, verify) from `concurrency` workers, recording every
 * acknowledged answer in the ledger. A key has at most one mutation in flight, so the ledger knows its
 * newest secret unless a mutation went unanswered.
 */
export function startMixedLoad(options: LoadOptions): LoadRun {
  const { urls, token, ledger, label } = options;
  const mix = options.mix ?? MIXED;
  const busy = new Set<string>();
  let stopping = false;
  let answered = 0;
  let counter = 0;
  const salt = randomBytes(3).toString('hex');

  const usable = () =>
    [...ledger.keys.values()].filter((k) => !k.revoked && k.unanswered === 0 && !busy.has(k.keyId));

  const noteStatus = (status: number, body: Json, what: string) => {
    answered++;
    if (status >= 500) {
      const code = (body.error as Json | undefined)?.code ?? body.unparsed ?? 'no body';
      ledger.serverErrors.push(`${what}: ${status} ${String(code)}`);
    }
  };

  const generate = async (url: string) => {
    const res = await send(url, 'POST', '/api-keys/generate', token, {
      name: `load ${label}`,
      scope: 'full_access',
      rate_limit: 10_000,
    });
    noteStatus(res.status, res.body, 'generate');
    if (res.status === 201) {
      const keyId = res.body.key_id as string;
      const secret = res.body.key as string;
      ledger.secrets.add(secret);
      ledger.keys.set(keyId, { keyId, secret, revoked: false, regenerations: 0, unanswered: 0 });
    }
  };

  const mutate = async (url: string, key: TrackedKey, kind: 'revoke' | 'regenerate') => {
    busy.add(key.keyId);
    try {
      const res =
        kind === 'revoke'
          ? await send(url, 'DELETE', `/api-keys/${key.keyId}`, token, { reason: 'load' })
          : await send(url, 'POST', `/api-keys/${key.keyId}/regenerate`, token, {});
      noteStatus(res.status, res.body, kind);
      if (res.status === 200 && kind === 'revoke') key.revoked = true;
      if (res.status === 200 && kind === 'regenerate') {
        key.secret = res.body.key as string;
        ledger.secrets.add(key.secret);
        key.regenerations++;
      }
    } catch (error) {
      key.unanswered++;
      throw error;
    } finally {
      busy.delete(key.keyId);
    }
  };

  const verify = async (url: string, key: TrackedKey) => {
    const requestId = `${label}-${salt}-${++counter}`;
    const res = await send(url, 'POST', '/api-keys/verify', null, { key: key.secret }, requestId);
    noteStatus(res.status, res.body, 'verify');
    if (res.status === 200) {
      ledger.verifications.push({
        requestId,
        keyId: (res.body.key_id as string | null) ?? null,
        code: res.body.code as string,
        ackAt: performance.now(),
      });
    }
  };

  const step = async () => {
    const url = pick(urls) as string;
    const r = Math.random();
    const keys = usable();
    if (keys.length < 3 || r < mix.generate) return generate(url);
    const key = pick(keys) as TrackedKey;
    if (r < mix.generate + mix.revoke) return mutate(url, key, 'revoke');
    if (r < mix.generate + mix.revoke + mix.regenerate) return mutate(url, key, 'regenerate');
    return verify(url, key);
  };

  const worker = async () => {
    while (!stopping) {
      try {
        await step();
      } catch {
        // No answer: the server is gone or restarting. What was sent may or may not have happened.
        ledger.unanswered++;
        if (!stopping) await new Promise((r) => setTimeout(r, 20));
      }
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };

  const workers = Array.from({ length: options.concurrency }, worker);
  return {
    async stop() {
      stopping = true;
      await Promise.all(workers);
    },
    answered: () => answered,
  };
}

/** Signs up a user and signs in, through the REST API. */
export async function signUp(url: string, username: string, password: string): Promise<string> {
  const reg = await send(url, 'POST', '/auth/register', null, { username, password });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tok = await send(url, 'POST', '/auth/token', null, { username, password });
  if (tok.status !== 200) throw new Error(`sign-in failed: ${tok.status} ${JSON.stringify(tok.body)}`);
  return tok.body.access_token as string;
}

/** Verifies a key once, outside any load. */
export async function verifyOnce(url: string, key: string): Promise<{ valid: boolean; code: string }> {
  const res = await send(url, 'POST', '/api-keys/verify', null, { key });
  return res.body as { valid: boolean; code: string };
}
