import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'forward' }
  /** Answers in place of the server, which never sees the request. */
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body: string }
  /** Closes the connection without forwarding. */
  | { kind: 'drop' }
  /** Forwards, lets the server act, then closes the connection instead of relaying its answer. */
  | { kind: 'lose-response' }
  /** Forwards and relays the answer only after a delay. */
  | { kind: 'delay-response'; ms: number };

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Index among requests with the same path, from 0. */
  attempt: number;
  headers: IncomingMessage['headers'];
  /** What the server answered, when the request was forwarded. */
  upstreamStatus?: number;
}

export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'upgrade',
]);

/**
 * A real HTTP proxy in front of a server that injects faults, chosen per request by `plan`: the kind of
 * thing a load balancer or a flaky network does to a client.
 */
export async function startFaultProxy(
  upstream: string,
  plan: (req: ProxiedRequest) => Fault,
): Promise<FaultProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      const record: ProxiedRequest = {
        method: req.method ?? 'GET',
        path,
        attempt: requests.filter((r) => r.path === path).length,
        headers: req.headers,
      };
      requests.push(record);
      const fault = plan(record);
      if (fault.kind === 'drop') return void req.socket.destroy();
      if (fault.kind === 'answer') {
        res.writeHead(fault.status, fault.headers ?? {});
        return void res.end(fault.body);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (!HOP_BY_HOP.has(name) && value !== undefined)
          headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      void fetch(upstream + url, { method: record.method, headers, body })
        .then(async (answer) => {
          const text = await answer.text();
          record.upstreamStatus = answer.status;
          if (fault.kind === 'lose-response') return void req.socket.destroy();
          if (fault.kind === 'delay-response') await new Promise((resolve) => setTimeout(resolve, fault.ms));
          if (req.socket.destroyed) return;
          const out: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
          });
          res.writeHead(answer.status, out);
          res.end(text);
        })
        .catch(() => req.socket.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
