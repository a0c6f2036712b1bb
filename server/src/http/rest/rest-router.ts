import { TRPCError } from '@trpc/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { KeyledgerError, toKeyledgerError } from '../../errors.js';
import type { Context } from '../../trpc/context.js';
import { domainErrorOf, issuesOf } from '../../trpc/init.js';
import { createCaller } from '../../trpc/router.js';
import { sendError, sendJson } from '../respond.js';
import { readBody } from './read-body.js';
import { restRoutes, type RestRoute } from './routes.js';

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

const compile = (route: RestRoute): CompiledRoute => {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
};

/** Credentials belong in headers: a key or token in a URL ends up in logs and browser history. */
const SECRET_QUERY_PARAMS = new Set(['key', 'api_key', 'apikey', 'token', 'access_token']);

const validationError = (message: string, path: string) =>
  new KeyledgerError('VALIDATION_FAILED', message, { issues: [{ path, message }] });

function parseQuery(url: URL, schema: z.ZodObject | undefined): Record<string, unknown> {
  for (const name of url.searchParams.keys()) {
    if (SECRET_QUERY_PARAMS.has(name.toLowerCase())) {
      throw validationError(
        'credentials are not accepted in the query string; use the Authorization header',
        name,
      );
    }
  }
  const raw = Object.fromEntries(url.searchParams);
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

/**
 * The REST API on the brief's paths: a thin adapter that matches a route, reads its input, and calls the
 * same tRPC procedure the SDK and the dashboard use. Returns false when no route has this path.
 */
export function restRouter(contextOf: (req: IncomingMessage) => Context, logger: Logger) {
  const routes = restRoutes.map(compile);

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const matching: { c: CompiledRoute; match: RegExpExecArray }[] = [];
    for (const c of routes) {
      const match = c.pattern.exec(path);
      if (match) matching.push({ c, match });
    }
    if (matching.length === 0) return false;
    // A literal path (`/api-keys/list`) wins over a template (`/api-keys/{key_id}`).
    const literal = matching.filter((m) => m.c.names.length === 0);
    const candidates = literal.length > 0 ? literal : matching;
    const found = candidates.find((m) => m.c.route.method === req.method);
    if (!found) {
      const allow = [...new Set(candidates.map((m) => m.c.route.method))].join(', ');
      sendError(
        res,
        new KeyledgerError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allow}`),
        {
          Allow: allow,
        },
      );
      return true;
    }
    const { route } = found.c;
    const ctx = contextOf(req);
    try {
      const params: Record<string, string> = {};
      found.c.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found.match[i + 1] as string);
      });
      const query = parseQuery(new URL(req.url ?? '/', 'http://localhost'), route.query);
      const body = route.method === 'GET' ? {} : await readBody(req, route.bodyKind ?? 'json');
      if (!route.body && Object.keys(body).length > 0) {
        throw validationError('this route takes no body', Object.keys(body)[0] as string);
      }
      for (const name of found.c.names) {
        if (name in body) throw validationError(`${name} comes from the path, not the body`, name);
      }
      const result = await route.call(createCaller(ctx), { params, query, body });
      sendJson(res, route.status, result, ctx.responseHeaders);
    } catch (error) {
      let domain: KeyledgerError;
      if (error instanceof TRPCError) domain = domainErrorOf(error);
      else if (error instanceof URIError)
        domain = validationError('the path is not valid percent-encoding', 'path');
      else domain = toKeyledgerError(error);
      if (domain.code === 'INTERNAL') {
        logger.error({ request_id: ctx.meta.requestId, err: (error as Error).message }, 'unhandled error');
      }
      sendError(res, domain, ctx.responseHeaders);
    }
    return true;
  };
}
