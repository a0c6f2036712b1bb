import { z } from 'zod';
import { DOCS_ASSETS, sendDocsAsset, sendDocsPage } from './docs/api-reference.js';
import type { ServiceRoute } from './rest/route-spec.js';
import { sendJson } from './respond.js';

export const healthOutput = z.object({
  status: z.literal('ok'),
  events: z
    .object({ buffered: z.number().int(), written: z.number().int(), dropped: z.number().int() })
    .describe('key uses waiting for group commit, written, and dropped while storage was unavailable'),
});

/** Routes the HTTP layer answers itself. They are documented like the rest, from this list. */
export const serviceRoutes: ServiceRoute[] = [
  {
    method: 'GET',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness, and the state of the usage write buffer',
    tag: 'Service',
    auth: 'none',
    status: 200,
    response: healthOutput,
    errors: [],
    examples: { response: { status: 'ok', events: { buffered: 0, written: 1532, dropped: 0 } } },
    respond: (_req, res, _params, { services }) =>
      sendJson(res, 200, { status: 'ok', events: services.store.usageStats() }),
  },
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tag: 'Documentation',
    auth: 'none',
    status: 200,
    response: z.record(z.string(), z.unknown()).describe('an OpenAPI 3.1 document'),
    errors: [],
    respond: (_req, res, _params, { openApiJson }) => {
      const body = openApiJson();
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        // Browser tools on other origins (editors, client generators) may read the document.
        'Access-Control-Allow-Origin': '*',
      });
      res.end(body);
    },
  },
  {
    method: 'GET',
    path: '/docs',
    operationId: 'apiReference',
    summary: 'The interactive API reference (Swagger UI, served from this server)',
    tag: 'Documentation',
    auth: 'none',
    status: 200,
    mediaTypes: ['text/html'],
    response: z.string(),
    errors: [],
    respond: (_req, res) => sendDocsPage(res),
  },
  {
    method: 'GET',
    path: '/docs/{asset}',
    operationId: 'apiReferenceAsset',
    summary: 'A file of the API reference',
    tag: 'Documentation',
    auth: 'none',
    params: z.object({ asset: z.enum(DOCS_ASSETS as [string, ...string[]]) }),
    status: 200,
    mediaTypes: ['text/css', 'text/javascript', 'image/png'],
    response: z.string(),
    errors: ['NOT_FOUND'],
    respond: (_req, res, params) => sendDocsAsset(res, params.asset ?? ''),
  },
];
