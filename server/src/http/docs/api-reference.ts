import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KeyledgerError } from '../../errors.js';
import { sendError } from '../respond.js';

/**
 * The reference's own pages may run only scripts and styles served from here and may call only this
 * origin: no CDN, no inline script, nothing a stored spec text could inject. Swagger UI sets element
 * styles through the DOM (allowed by style-src 'self') and draws its icons from data: URIs.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': DOCS_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Keyledger API reference</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/keyledger-docs.js"></script>
  </body>
</html>
`;

// The initializer is a file, not an inline script, so the page needs no 'unsafe-inline'. validatorUrl
// null keeps Swagger UI from sending the document to validator.swagger.io.
const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
  });
});
`;

const swaggerDir = () => dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files /docs/{asset} serves: Swagger UI's own from node_modules, and our initializer. */
const ASSETS: Record<string, { type: string; load: () => Buffer }> = {
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    load: () => readFileSync(join(swaggerDir(), 'swagger-ui.css')),
  },
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    load: () => readFileSync(join(swaggerDir(), 'swagger-ui-bundle.js')),
  },
  'favicon-32x32.png': {
    type: 'image/png',
    load: () => readFileSync(join(swaggerDir(), 'favicon-32x32.png')),
  },
  'favicon-16x16.png': {
    type: 'image/png',
    load: () => readFileSync(join(swaggerDir(), 'favicon-16x16.png')),
  },
  'keyledger-docs.js': {
    type: 'text/javascript; charset=utf-8',
    load: () => Buffer.from(INITIALIZER, 'utf8'),
  },
};
export const DOCS_ASSETS = Object.keys(ASSETS);

const loaded = new Map<string, Buffer>();

/** GET /docs: the interactive reference page. */
export function sendDocsPage(res: ServerResponse): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(PAGE),
    'Cache-Control': 'no-cache',
  });
  res.end(PAGE);
}

/** GET /docs/{asset}: one of the reference's files, read once and kept in memory (about 2 MB). */
export function sendDocsAsset(res: ServerResponse, name: string): void {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return sendError(res, new KeyledgerError('NOT_FOUND', `no file ${name} in the API reference`));
  let body = loaded.get(name);
  if (!body) {
    body = asset.load();
    loaded.set(name, body);
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': asset.type,
    'Content-Length': body.length,
    // Swagger UI's files change only with the pinned package version; an hour is long enough.
    'Cache-Control': 'public, max-age=3600',
  });
  res.end(body);
}
