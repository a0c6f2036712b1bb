import { TRPCError } from '@trpc/server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { KeyledgerError, toKeyledgerError } from './errors.js';
import { loadDashboardHandler, type DashboardBridge, type NodeHandler } from './http/dashboard.js';
import { sendError } from './http/respond.js';
import { restApi } from './http/rest/rest-router.js';
import {
  bearerToken,
  hasInvalidIdempotencyKey,
  isValidIdempotencyKey,
  requestMeta,
  SESSION_COOKIE,
  sessionCookie,
} from './http/request-context.js';
import { trpcHandler } from './http/trpc-handler.js';
import { createLogger } from './logger.js';
import { redactCredentials } from './redact-credentials.js';
import type { RequestMeta } from './request-meta.js';
import { createServices, type ServiceOptions, type Services } from './services.js';
import { createContext, type Context } from './trpc/context.js';
import { createCaller } from './trpc/router.js';

export interface AppOptions extends ServiceOptions {
  logger?: Logger;
}

export interface App {
  server: Server;
  services: Services;
  logger: Logger;
  /** Starts listening; resolves to the base URL. Port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets requests in flight finish, flushes usage and closes the database. */
  close(): Promise<void>;
}

const metaOf = new WeakMap<IncomingMessage, RequestMeta>();

const invalidIdempotencyKey = () =>
  new KeyledgerError('VALIDATION_FAILED', 'Idempotency-Key must be 1–255 printable ASCII characters', {
    issues: [{ path: 'Idempotency-Key', message: 'invalid header' }],
  });

/** The whole Keyledger HTTP process: tRPC, REST, the demo API, and the dashboard, on one port. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const services = createServices(config, { ...options, logger });
  const dashboard: NodeHandler | null = config.dashboardDir
    ? await loadDashboardHandler(config.dashboardDir)
    : null;
  if (config.dashboardDir && !dashboard)
    logger.warn({ dir: config.dashboardDir }, 'no dashboard build found');

  const contextFor = (req: IncomingMessage, token: string | null): Context => {
    let meta = metaOf.get(req);
    if (!meta) {
      meta = requestMeta(req, config.trustProxy);
      metaOf.set(req, meta);
    }
    return createContext(services, meta, token);
  };
  // Over HTTP only bearer tokens count: the session cookie is for the dashboard, which calls procedures
  // in-process, so no cross-site request can ride on it.
  const trpc = trpcHandler((req) => {
    // Thrown here, the error reaches the client in tRPC's own shape, with the same code as over REST.
    if (hasInvalidIdempotencyKey(req)) {
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: 'invalid Idempotency-Key',
        cause: invalidIdempotencyKey(),
      });
    }
    return contextFor(req, bearerToken(req));
  });
  const rest = restApi({ services, logger, contextOf: contextFor });

  const bridgeFor = (req: IncomingMessage, secure: boolean): DashboardBridge => {
    const ctx = contextFor(req, sessionCookie(req));
    return {
      caller: createCaller(ctx),
      user: ctx.user,
      sessionCookieName: SESSION_COOKIE,
      cookieSecure: config.cookieSecure ?? secure,
      signIn: (input) => createCaller(ctx).auth.signIn(input),
      callerForToken: (token) => createCaller(contextFor(req, token)),
      callerWithIdempotencyKey: (key) =>
        createCaller({
          ...ctx,
          meta: { ...ctx.meta, idempotencyKey: isValidIdempotencyKey(key) ? key : ctx.meta.idempotencyKey },
          responseHeaders: {},
        }),
    };
  };

  let inFlight = 0;
  let draining: (() => void) | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const meta = requestMeta(req, config.trustProxy);
    metaOf.set(req, meta);
    res.setHeader('X-Request-Id', meta.requestId);
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path.startsWith('/trpc/')) {
      // tRPC sets neither: its answers can carry a new key or an access token.
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      return trpc(req, res);
    }
    if (hasInvalidIdempotencyKey(req)) return sendError(res, invalidIdempotencyKey());
    if (await rest(req, res, path)) return;
    if (dashboard) {
      const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
      (req as IncomingMessage & { keyledger?: DashboardBridge }).keyledger = bridgeFor(req, secure);
      return dashboard(req, res, () => sendError(res, new KeyledgerError('NOT_FOUND', 'no such page')));
    }
    return sendError(res, new KeyledgerError('NOT_FOUND', `no route for ${req.method} ${path}`));
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    inFlight++;
    res.on('close', () => {
      inFlight--;
      // Checked first: building and redacting the entry is most of a request log's cost when it is off.
      if (logger.isLevelEnabled('info')) {
        logger.info(
          {
            request_id: metaOf.get(req)?.requestId,
            method: req.method,
            path: redactCredentials((req.url ?? '/').split('?')[0] as string),
            status: res.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
          },
          'request',
        );
      }
      if (inFlight === 0) draining?.();
    });
    handle(req, res).catch((error: unknown) => {
      const normalised = toKeyledgerError(error);
      if (normalised.code === 'INTERNAL') {
        logger.error(
          {
            request_id: metaOf.get(req)?.requestId,
            err: redactCredentials(String((error as Error).message)),
          },
          'unhandled error',
        );
      }
      if (!res.headersSent) sendError(res, normalised);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const housekeeping = setInterval(() => {
    try {
      services.prune();
    } catch (error) {
      logger.warn({ err: toKeyledgerError(error).code }, 'housekeeping failed');
    }
  }, 3_600_000);
  housekeeping.unref();

  let closed = false;
  return {
    server,
    services,
    logger,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(housekeeping);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (draining = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      services.close();
    },
  };
}
