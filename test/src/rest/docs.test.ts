import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../browser/support/browser.js';
import { call, errorShapeProblem, startServer, type RestServer } from './harness.js';

// The server's own copy of swagger-ui-dist, resolved as the server resolves it.
const swaggerDir = dirname(
  createRequire(new URL('../../../server/package.json', import.meta.url)).resolve(
    'swagger-ui-dist/package.json',
  ),
);

const referencesIn = (html: string) =>
  [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);

describe('/docs, the interactive API reference', () => {
  let server: RestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('serves an HTML page under a Content-Security-Policy that allows nothing from elsewhere', async () => {
    const res = await call(server.url, 'GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.text).not.toMatch(/<script>|<style>|\son\w+="/);
    const refs = referencesIn(res.text);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) expect(ref).toMatch(/^\/docs\//);
  });

  it('serves each file the page loads from swagger-ui-dist in node_modules, byte for byte', async () => {
    const page = await call(server.url, 'GET', '/docs');
    for (const ref of referencesIn(page.text)) {
      const res = await fetch(server.url + ref);
      expect(res.status, ref).toBe(200);
      expect(res.headers.get('content-security-policy'), ref).toBeTruthy();
      const name = ref.slice('/docs/'.length);
      const body = Buffer.from(await res.arrayBuffer());
      if (name === 'keyledger-docs.js') {
        expect(body.toString('utf8')).toContain("url: '/openapi.json'");
        expect(body.toString('utf8')).toContain('validatorUrl: null');
      } else {
        expect(body.equals(readFileSync(join(swaggerDir, name))), ref).toBe(true);
      }
      const type = res.headers.get('content-type') ?? '';
      if (name.endsWith('.js')) expect(type).toMatch(/^text\/javascript/);
      if (name.endsWith('.css')) expect(type).toMatch(/^text\/css/);
      if (name.endsWith('.png')) expect(type).toBe('image/png');
    }
  });

  it('serves no other file: unknown names and path tricks are 404 in the error shape', async () => {
    for (const name of [
      'package.json',
      'index.html',
      '..%2F..%2Fpackage.json',
      '%2e%2e',
      'swagger-ui.js.map',
    ]) {
      const res = await call(server.url, 'GET', `/docs/${name}`);
      expect(res.status, name).toBe(404);
      expect(errorShapeProblem(res.body), name).toBeNull();
    }
  });

  describe('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    it('renders every operation of /openapi.json with no CSP violation and no request elsewhere', async () => {
      const doc = (
        await call<{ paths: Record<string, Record<string, unknown>> }>(server.url, 'GET', '/openapi.json')
      ).body;
      const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);

      const page = await browser.newPage();
      const problems: string[] = [];
      const elsewhere: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(`uncaught ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) elsewhere.push(r.url());
      });
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { cspViolations: string[] }).cspViolations = seen;
        document.addEventListener('securitypolicyviolation', (e) =>
          seen.push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      });

      await page.goto(`${server.url}/docs`);
      await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations, {
        timeout: 20_000,
      });
      // Open one operation: its schemas and examples render through the same CSP.
      await page.click('#operations-Knowledge_API-query .opblock-summary');
      await page.waitForSelector('#operations-Knowledge_API-query .opblock-body .example', {
        timeout: 10_000,
      });

      const violations = await page.evaluate(
        () => (window as unknown as { cspViolations: string[] }).cspViolations,
      );
      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
      expect(elsewhere).toEqual([]);
      expect(await page.title()).toBe('Keyledger API reference');
      await page.close();
    });
  });
});
