import { request } from 'node:http';

export type Json = Record<string, unknown>;

export interface Answer<T = Json> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or null when it is not JSON. */
  body: T;
}

export interface Sent {
  method: string;
  path: string;
  /** Sent as `Authorization: Bearer …`. */
  bearer?: string;
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/**
 * A recording HTTP client: every answer is kept, so a suite can finally check that no answer carried a
 * secret it should not have.
 */
export function recordingClient(baseUrl: string) {
  const answers: { sent: Sent; answer: Answer<unknown> }[] = [];
  const send = async <T = Json>(sent: Sent): Promise<Answer<T>> => {
    const headers: Record<string, string> = {};
    if (sent.bearer !== undefined) headers.authorization = `Bearer ${sent.bearer}`;
    let body: string | undefined = sent.raw;
    if (sent.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(sent.json);
    }
    Object.assign(headers, sent.headers);
    const res = await fetch(baseUrl + sent.path, { method: sent.method, headers, body });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    const answer = { status: res.status, headers: res.headers, text, body: parsed as T };
    answers.push({ sent, answer });
    return answer;
  };
  return {
    send,
    get: <T = Json>(path: string, bearer?: string, headers?: Record<string, string>) =>
      send<T>({ method: 'GET', path, bearer, headers }),
    post: <T = Json>(path: string, json: unknown, bearer?: string, headers?: Record<string, string>) =>
      send<T>({ method: 'POST', path, json, bearer, headers }),
    /** A tRPC query: GET /trpc/<path>?input=<json>. */
    trpcQuery: <T = Json>(
      procedure: string,
      input: unknown,
      bearer?: string,
      headers?: Record<string, string>,
    ) =>
      send<T>({
        method: 'GET',
        path: `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`,
        bearer,
        headers,
      }),
    /** A tRPC mutation: POST /trpc/<path> with the input as the JSON body. */
    trpcMutation: <T = Json>(
      procedure: string,
      input: unknown,
      bearer?: string,
      headers?: Record<string, string>,
    ) => send<T>({ method: 'POST', path: `/trpc/${procedure}`, json: input, bearer, headers }),
    answers,
  };
}
export type RecordingClient = ReturnType<typeof recordingClient>;

/** A request from a chosen local address (127.0.0.0/8 is all loopback on Linux), as another client. */
export function sendFrom(
  localAddress: string,
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Json }> {
  const url = new URL(path, baseUrl);
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        localAddress,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: Json = {};
          try {
            body = text ? (JSON.parse(text) as Json) : {};
          } catch {
            body = { unparsed: text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The code of an error answer, REST (`error.code`) or tRPC (`error.data.keyledgerCode`). */
export function errorCode(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown; data?: { keyledgerCode?: string } } } | null)?.error;
  if (!error) return undefined;
  if (error.data?.keyledgerCode) return error.data.keyledgerCode;
  return typeof error.code === 'string' ? error.code : undefined;
}
