import type { RequestMeta } from '@keyledger/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  gotoHydrated,
  launchChromium,
  newWatchedContext,
  screenshot,
  type ConsoleWatch,
} from './support/browser.js';
import {
  ensureDashboardBuild,
  startDashboardServer,
  type DashboardServer,
} from './support/dashboard-server.js';

const PASSWORD = 'correct horse battery staple';
const KEY_COUNT = 1000;
const TEST_META: RequestMeta = { requestId: 'browser-test', ip: null, userAgent: null, idempotencyKey: null };

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function signUpOverRest(url: string, username: string): Promise<string> {
  await json(
    await fetch(`${url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    }),
  );
  const token = await json<{ access_token: string }>(
    await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    }),
  );
  return token.access_token;
}

async function generateOverRest(url: string, token: string, name: string): Promise<void> {
  await json(
    await fetch(`${url}/api-keys/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name, scope: 'read_only' }),
    }),
  );
}

async function signIn(page: Page, url: string, username: string): Promise<void> {
  await gotoHydrated(page, `${url}/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/keys`);
}

describe('dashboard with 1,000 keys, and the admin view', () => {
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let watch: ConsoleWatch;

  beforeAll(async () => {
    await ensureDashboardBuild();
    server = await startDashboardServer({ KEYLEDGER_MAX_KEYS_PER_USER: String(KEY_COUNT) });
    const token = await signUpOverRest(server.url, 'bulk');
    // A few at a time: each generate is a durable append of its own.
    for (let start = 0; start < KEY_COUNT; start += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          generateOverRest(server.url, token, `Key ${String(start + i + 1).padStart(4, '0')}`),
        ),
      );
    }
    await server.app.services.accounts.createUser(
      { username: 'root', password: PASSWORD },
      'admin',
      TEST_META,
      null,
    );
    browser = await launchChromium();
    const watched = await newWatchedContext(browser);
    watch = watched.watch;
    page = await watched.context.newPage();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  it('pages through 1,000 keys a page at a time', async () => {
    await signIn(page, server.url, 'bulk');
    const cards = page.locator('[data-key-id]');
    const firstPage = await cards.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-key-id')));
    // A page holds a screenful, not the whole list.
    expect(firstPage.length).toBeGreaterThan(0);
    expect(firstPage.length).toBeLessThan(100);
    expect(await page.locator('.count').textContent()).toMatch(/Showing \d+ of 1,000\s+keys/);
    await screenshot(page, '15-many-keys-first-page');

    const seen = new Set(firstPage);
    for (let i = 0; i < 3; i++) {
      await page.getByRole('link', { name: 'Next page →' }).click();
      await page.waitForURL(/cursor=/);
      await expect.poll(async () => seen.has(await cards.first().getAttribute('data-key-id'))).toBe(false);
      for (const id of await cards.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-key-id')))) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    await page.getByRole('link', { name: '← First page' }).click();
    await expect.poll(() => cards.first().getAttribute('data-key-id')).toBe(firstPage[0]);
  });

  it('keeps the admin page from users who are not administrators', async () => {
    const res = await page.goto(`${server.url}/admin`);
    expect(res?.status()).toBe(403);
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/sign-in`);
  });

  it('shows an administrator every user’s keys', async () => {
    await signIn(page, server.url, 'root');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(`${server.url}/admin`);
    const table = page.getByTestId('admin-keys');
    await expect.poll(() => table.locator('tbody tr').count()).toBeGreaterThan(0);
    // Newest first: the last key made is on the first page.
    expect(await table.textContent()).toContain('Key 1000');
    await screenshot(page, '16-admin-all-keys', false);

    // An administrator may open any user's key.
    const link = table.getByRole('link', { name: 'Key 1000' });
    await link.click();
    await page.waitForURL(/\/keys\/key_/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Key 1000');
    await page.goBack();
    await page.waitForURL(`${server.url}/admin`);

    // Filtering by owner goes through the same list, scoped to one user.
    const owner = await table.locator('tbody tr').first().locator('td').nth(1).textContent();
    await page.getByLabel('User id').fill(owner?.trim() ?? '');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/user_id=/);
    await expect.poll(() => table.locator('tbody tr').count()).toBeGreaterThan(0);
    const owners = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(owners.map((o) => o.trim()))).toEqual(new Set([owner?.trim()]));
  });

  it('logged no error to the browser console', () => {
    // The 403 page load is an expected failed resource, the only error allowed here.
    expect(watch.errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
  });
});
