import { existsSync } from 'node:fs';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { artifactPath } from './dashboard-server.js';

const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Everything a page said on its console at level error, and every uncaught exception. */
export interface ConsoleWatch {
  errors: string[];
}

export async function newWatchedContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; watch: ConsoleWatch }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const watch: ConsoleWatch = { errors: [] };
  context.on('page', (page) => watchPage(page, watch));
  return { context, watch };
}

function watchPage(page: Page, watch: ConsoleWatch): void {
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => watch.errors.push(`${page.url()}: uncaught ${error.message}`));
}

/** Waits until the dashboard has hydrated, so clicks reach its scripts rather than the plain HTML. */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
}

export async function gotoHydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await hydrated(page);
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: artifactPath(`${name}.png`), fullPage });
}
