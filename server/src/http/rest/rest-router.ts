import { TRPCError } from '@trpc/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { KeyledgerError, toKeyledgerError } from '../../errors.js';
import { redactCredentials } from '../../redact-credentials.js';
import type { Services } from '../../services.js';
import type { Context } from '../../trpc/context.js';
import { domainErrorOf, issuesOf } from '../../trpc/init.js';
import { createCaller } from '../../trpc/router.js';
import { knowledgeBase, type KnowledgeBase } from '../knowledge/knowledge-base.js';
import { openApiDocument } from '../openapi/document.js';
import { bearerToken } from '../request-context.js';
import { sendError, sendJson } from '../respond.js';
import { readBody } from './read-body.js';
import { verifyApiKey } from './verify-api-key.js';
import type { KnowledgeRoute, RestInput, RestRoute, ServiceEnv } from './route-spec.js';
import { mountedRoutes } from './routes.js';

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

const compile = (route: RestRoute): CompiledRoute => {
  const names: string[] = [];
  const source = route.path
    .split(/(\{\w+\})/)
    .map((part) => {
      const param = /^\{(\w+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] as string);
      return '([^/]+)';
    })
    .join('');
  return { route, pattern: new RegExp(`^${source}$`), names };
};

/** Credentials belong in headers: a key or token in a URL ends up in logs and browser history. */
const SECRET_QUERY_PARAMS = new Set(['key', 'api_key', 'apikey', 'token', 'access_token']);

const validationError = (message: string, path: string) =>
  new KeyledgerError('VALIDATION_FAILED', message, { issues: [{ path, message }] });

function parseQuery(search: URLSearchParams, schema: z.ZodObject | undefined): Record<string, unknown> {
  for (const name of search.keys()) {
    if (SECRET_QUERY_PARAMS.has(name.toLowerCase())) {
      throw validationError(
        'credentials are not accepted in the query string; use the Authorization header',
        name,
      );
    }
  }
  const raw = Object.fromEntries(search);
  if (!schema) {
    const extra = Object.keys(raw)[0];
    if (extra !== undefined) throw validationError(`unknown query parameter ${extra}`, extra);
    return {};
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new KeyledgerError('VALIDATION_FAILED', 'the query string is not valid', {
      issues: issuesOf(parsed.error),
    });
  }
  return parsed.data;
}

/** The query string's parameters; a URL is parsed only when there is a query string to read. */
const searchParamsOf = (url: string): URLSearchParams =>
  url.includes('?') ? new URL(url, 'http://localhost').searchParams : new URLSearchParams();

/**
 * The routes, looked up per request: literal paths by a map (most calls, and every hot one, are to a
 * literal path), templates by their patterns.
 */
function routeIndex(routes: CompiledRoute[]) {
  const literals = new Map<string, CompiledRoute[]>();
  for (const c of routes) {
    if (c.names.length > 0) continue;
    literals.set(c.route.path, [...(literals.get(c.route.path) ?? []), c]);
  }
  return { literals, templates: routes.filter((c) => c.names.length > 0) };
}

/** Finds the route for a path and method; a literal path (`/api-keys/list`) wins over a template. */
function matchRoute(index: ReturnType<typeof routeIndex>, method: string, path: string) {
  const literal = index.literals.get(path);
  if (literal) {
    const found = literal.find((c) => c.route.method === method);
    if (found) return { route: found.route, params: {} as Record<string, string> };
    return { allow: [...new Set(literal.map((c) => c.route.method))].join(', ') };
  }
  const matching: { c: CompiledRoute; match: RegExpExecArray }[] = [];
  for (const c of index.templates) {
    const match = c.pattern.exec(path);
    if (match) matching.push({ c, match });
  }
  if (matching.length === 0) return null;
  const found = matching.find((m) => m.c.route.method === method);
  if (!found) return { allow: [...new Set(matching.map((m) => m.c.route.method))].join(', ') };
  const params: Record<string, string> = {};
  found.c.names.forEach((name, i) => {
    params[name] = decodeURIComponent(found.match[i + 1] as string);
  });
  return { route: found.c.route, params };
}

export interface RestApiOptions {
  services: Services;
  logger: Logger;
  /** A context for this request; `token` signs it in as a user, null for routes that take no token. */
  contextOf(req: IncomingMessage, token: string | null): Context;
}

/**
 * The REST API on the brief's paths, the demo knowledge API, the OpenAPI document and /docs. A thin
 * adapter: it matches a route, reads and checks its input, and calls the tRPC procedure the SDK and
 * the dashboard call (or, for the knowledge API, verifies the key exactly as /api-keys/verify does).
 * The returned handler resolves to false when no route has this path.
 */
export function restApi({ services, logger, contextOf }: RestApiOptions) {
  const routes = mountedRoutes(services.config);
  const index = routeIndex(routes.map(compile));
  const knowledge: KnowledgeBase | null = services.config.demoApi
    ? knowledgeBase(services.store.db, services.clock)
    : null;
  let documentJson: string | null = null;
  const env: ServiceEnv = {
    services,
    openApiJson: () => (documentJson ??= JSON.stringify(openApiDocument(routes))),
  };

  const serveKnowledge = (route: KnowledgeRoute, ctx: Context, apiKey: string, input: RestInput) => {
    if (!knowledge) throw new KeyledgerError('NOT_FOUND', 'the demo knowledge API is switched off');
    const key = verifyApiKey(services, ctx, apiKey, route.endpoint);
    const run = () => route.serve(knowledge, input, key);
    const idempotencyKey = ctx.meta.idempotencyKey;
    if (route.method === 'GET' || !idempotencyKey) return run();
    // Scoped to the key, so one key's Idempotency-Key can never replay another key's answer.
    return services.store.transaction(() =>
      services.idempotency.run(
        `key:${key.key_id}`,
        idempotencyKey,
        `rest.${route.operationId}`,
        input.body,
        run,
      ),
    );
  };

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    let matched: ReturnType<typeof matchRoute>;
    try {
      matched = matchRoute(index, req.method ?? 'GET', path);
    } catch {
      sendError(res, validationError('the path is not valid percent-encoding', 'path'));
      return true;
    }
    if (!matched) return false;
    if (!matched.route) {
      sendError(
        res,
        new KeyledgerError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${matched.allow}`),
        { Allow: matched.allow },
      );
      return true;
    }
    const { route, params } = matched;
    // Only procedures take a user's token; an API key is never looked up as a session.
    const ctx = contextOf(req, 'call' in route ? bearerToken(req) : null);
    try {
      const query = parseQuery(searchParamsOf(req.url ?? '/'), route.query);
      // Refused before the body is read: a call without a key costs nothing.
      const apiKey = route.auth === 'api_key' ? bearerToken(req) : null;
      if (route.auth === 'api_key' && !apiKey) {
        throw new KeyledgerError('INVALID_API_KEY', 'send your API key as Authorization: Bearer <key>');
      }
      const raw = route.method === 'GET' ? {} : await readBody(req, route.bodyKind ?? 'json');
      if (!route.body && Object.keys(raw).length > 0) {
        throw validationError('this route takes no body', Object.keys(raw)[0] as string);
      }
      for (const name of Object.keys(params)) {
        if (name in raw) throw validationError(`${name} comes from the path, not the body`, name);
      }

      if ('respond' in route) {
        route.respond(req, res, params, env);
        return true;
      }
      if ('call' in route) {
        const input = { params, query, body: raw };
        const result = route.direct ? route.direct(ctx, input) : await route.call(createCaller(ctx), input);
        sendJson(res, route.status, result, ctx.responseHeaders);
        return true;
      }
      // The knowledge API checks its body before the key, so bad input is never counted as a use.
      let body: Record<string, unknown> = {};
      if (route.body) {
        const parsed = route.body.safeParse(raw);
        if (!parsed.success) {
          throw new KeyledgerError('VALIDATION_FAILED', 'the request is not valid', {
            issues: issuesOf(parsed.error),
          });
        }
        body = parsed.data;
      }
      const result = serveKnowledge(route, ctx, apiKey as string, { params, query, body });
      sendJson(res, route.status, result, ctx.responseHeaders);
    } catch (error) {
      const domain = error instanceof TRPCError ? domainErrorOf(error) : toKeyledgerError(error);
      if (domain.code === 'INTERNAL') {
        logger.error(
          { request_id: ctx.meta.requestId, err: redactCredentials(String((error as Error).message)) },
          'unhandled error',
        );
      }
      if (!res.headersSent) sendError(res, domain, ctx.responseHeaders);
      else res.destroy();
    }
    return true;
  };
}
