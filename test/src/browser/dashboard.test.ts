import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  gotoHydrated,
  hydrated,
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

// One user's journey through the dashboard in a real Chromium, against a real server: each step
// builds on the one before, as a person using it would.

const PASSWORD = 'correct horse battery staple';

async function query(url: string, key: string): Promise<Response> {
  return fetch(`${url}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'how are keys stored?' }),
  });
}

async function generateKey(page: Page, url: string, name: string, scope = 'query_only'): Promise<string> {
  await gotoHydrated(page, `${url}/keys/new`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.locator(`input[name="scope"][value="${scope}"]`).check();
  await page.getByRole('button', { name: 'Generate key' }).click();
  return page.getByTestId('secret-key').inputValue();
}

/** Reloads until the usage chart counts at least `total` requests: usage is written by group commit. */
async function waitForUsage(page: Page, total: number): Promise<void> {
  const chart = page.getByTestId('usage-chart');
  for (let attempt = 0; attempt < 50; attempt++) {
    if (Number(await chart.getAttribute('data-total')) >= total) return;
    await page.waitForTimeout(100);
    await page.reload();
    await hydrated(page);
  }
  throw new Error(`the usage chart never reached ${total} requests`);
}

describe('dashboard in a browser', () => {
  let server: DashboardServer;
  let browser: Browser;
  let context: BrowserContext;
  let watch: ConsoleWatch;
  let page: Page;
  const username = 'ada';
  let firstKey = '';
  let firstKeyId = '';

  beforeAll(async () => {
    await ensureDashboardBuild();
    server = await startDashboardServer();
    browser = await launchChromium();
    ({ context, watch } = await newWatchedContext(browser));
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  it('signs up with errors shown beside the fields, then lands on an empty key list', async () => {
    await gotoHydrated(page, `${server.url}/sign-up`);
    await page.getByLabel('Username').fill('a');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Password', { exact: true }).press('Enter');

    const username_ = page.getByLabel('Username');
    await expect.poll(() => username_.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await username_.getAttribute('aria-describedby')) ?? '';
    const errorText = await page.locator(`#${describedBy.split(' ').at(-1)}`).textContent();
    expect(errorText).toMatch(/at least 3 characters/i);
    await expect.poll(() => page.locator('.field-error').count()).toBe(3);
    await screenshot(page, '01-sign-up-errors');

    await username_.fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/keys`);
    await expect.poll(() => page.getByRole('heading', { name: 'Create your first API key' }).count()).toBe(1);
    await screenshot(page, '02-empty-key-list');
  });

  it('generates a key and shows its secret exactly once', async () => {
    await page.getByRole('link', { name: 'Generate your first key' }).click();
    await page.waitForURL(`${server.url}/keys/new`);
    await page.getByLabel('Name', { exact: true }).fill('Production backend');
    await page.getByLabel('Description').fill('Used by the API gateway');
    await page.locator('input[name="scope"][value="full_access"]').check();
    await screenshot(page, '03-generate-form');
    await page.getByRole('button', { name: 'Generate key' }).click();

    firstKey = await page.getByTestId('secret-key').inputValue();
    expect(firstKey).toMatch(/^rag_[A-Za-z0-9]{40,}$/);
    await expect
      .poll(() => page.getByTestId('secret-panel').textContent())
      .toMatch(/It will not be shown again/);
    // The examples are ready to paste: the key is in them.
    expect(await page.locator('pre').first().textContent()).toContain(firstKey);
    await screenshot(page, '04-secret-shown-once');

    await page.getByRole('link', { name: /view the key/ }).click();
    await page.waitForURL(/\/keys\/key_/);
    firstKeyId = page.url().split('/').at(-1) ?? '';
    expect(await page.content()).not.toContain(firstKey);

    // Back to where the secret was shown, by link, by history and by a fresh load: never again.
    await page.goBack();
    await page.waitForURL(`${server.url}/keys/new`);
    expect(await page.content()).not.toContain(firstKey);
    await gotoHydrated(page, `${server.url}/keys/new`);
    expect(await page.content()).not.toContain(firstKey);
    await gotoHydrated(page, `${server.url}/keys`);
    expect(await page.content()).not.toContain(firstKey);
    expect(await page.locator(`[data-key-id="${firstKeyId}"]`).textContent()).toContain('Production backend');
  });

  it('copies the secret to the clipboard with the copy button', async () => {
    const secret = await generateKey(page, server.url, 'Clipboard check');
    await page.getByRole('button', { name: 'Copy key' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  });

  it('the key works against POST /query', async () => {
    const ok = await query(server.url, firstKey);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ query: 'how are keys stored?' });
    expect((await query(server.url, firstKey)).status).toBe(200);
  });

  it('the usage chart then shows the calls, by day and by endpoint', async () => {
    await gotoHydrated(page, `${server.url}/keys/${firstKeyId}`);
    await waitForUsage(page, 2);
    const chart = page.getByTestId('usage-chart');
    const box = await chart.boundingBox();
    if (!box) throw new Error('the usage chart is not visible');
    // Today is the rightmost bar, just inside the plot's right margin.
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    const tooltip = page.getByTestId('chart-tooltip');
    await expect.poll(() => tooltip.textContent()).toMatch(/Succeeded\s*2/);
    expect(await page.getByRole('list', { name: 'Endpoints by number of requests' }).textContent()).toContain(
      '/query',
    );
    await screenshot(page, '05-key-detail-usage');
  });

  it('regenerates with a grace period: a new secret once, and the old one keeps working until then', async () => {
    await gotoHydrated(page, `${server.url}/keys/${firstKeyId}`);
    await page.getByRole('button', { name: 'Regenerate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('In 1 hour').check();
    await screenshot(page, '06-regenerate-dialog', false);
    await dialog.getByRole('button', { name: 'Regenerate secret' }).click();

    const newKey = await page.getByTestId('secret-key').inputValue();
    expect(newKey).not.toBe(firstKey);
    expect(newKey).toMatch(/^rag_/);
    await screenshot(page, '07-regenerated-secret');
    expect((await query(server.url, newKey)).status).toBe(200);
    expect((await query(server.url, firstKey)).status).toBe(200);
    expect(await page.getByTestId('key-details').textContent()).toContain('Previous secret until');

    await gotoHydrated(page, `${server.url}/keys/${firstKeyId}`);
    expect(await page.content()).not.toContain(newKey);
    firstKey = newKey;
  });

  it('revokes from the key list after a confirmation that keeps focus, and shows the new status', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Production backend (old)');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Production backend (old)');

    await gotoHydrated(page, `${server.url}/keys`);
    const card = page.locator(`[data-key-id="${firstKeyId}"]`);
    const revokeButton = card.getByRole('button', { name: 'Revoke' });
    await revokeButton.click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const focusInDialog = () =>
      page.evaluate(() => document.querySelector('dialog[open]')?.contains(document.activeElement) ?? false);
    expect(await focusInDialog()).toBe(true);
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInDialog()).toBe(true);
    }
    await page.keyboard.press('Shift+Tab');
    expect(await focusInDialog()).toBe(true);
    await screenshot(page, '08-revoke-dialog', false);

    // Escape cancels and gives focus back to the button that opened the dialog.
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await revokeButton.evaluate((button) => button === document.activeElement)).toBe(true);

    await revokeButton.click();
    await dialog.getByLabel(/Reason/).fill('rotated out');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => card.locator('[data-status]').textContent()).toMatch(/Revoked/);
    expect(await card.locator('[data-status]').getAttribute('data-status')).toBe('revoked');
    expect(await page.getByTestId('revoked-notice').textContent()).toContain('was revoked');
    await screenshot(page, '09-key-list-after-revoke');

    expect((await query(server.url, firstKey)).status).toBe(401);
  });

  it('the as-of view shows the key as it was before the change', async () => {
    await gotoHydrated(page, `${server.url}/keys/${firstKeyId}`);
    const details = page.getByTestId('key-details');
    expect(await details.locator('[data-status]').getAttribute('data-status')).toBe('revoked');

    const created = page.locator('[data-event-type="key.created"]');
    await created.getByRole('link', { name: 'View the key as of this event' }).click();
    await page.waitForURL(/as_of=/);
    await expect.poll(() => page.getByTestId('as-of-banner').count()).toBe(1);
    expect(await details.locator('[data-status]').getAttribute('data-status')).toBe('active');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Production backend');
    expect(await details.textContent()).not.toContain('Revoked');
    await screenshot(page, '10-as-of-view');

    // The same through the date control, with a time typed in (read as UTC).
    const createdAt = (await created.locator('time').getAttribute('datetime')) ?? '';
    await gotoHydrated(page, `${server.url}/keys/${firstKeyId}`);
    await page.locator('input[name="as_of"]').fill(createdAt.slice(0, 23));
    await page.getByRole('button', { name: 'View', exact: true }).click();
    await page.waitForURL(/as_of=/);
    await expect.poll(() => details.locator('[data-status]').getAttribute('data-status')).toBe('active');

    await page.getByRole('link', { name: 'Back to now' }).first().click();
    await expect.poll(() => details.locator('[data-status]').getAttribute('data-status')).toBe('revoked');
  });

  it('filters the key list by status', async () => {
    await gotoHydrated(page, `${server.url}/keys`);
    await page.getByRole('link', { name: 'Revoked', exact: true }).click();
    await page.waitForURL(/status=revoked/);
    await expect.poll(() => page.locator('[data-key-id]').count()).toBe(1);
    await page.getByRole('link', { name: 'Active', exact: true }).click();
    await page.waitForURL(/status=active/);
    await expect.poll(() => page.locator('[data-key-id]').count()).toBe(1);
    expect(await page.locator('[data-key-id]').textContent()).toContain('Clipboard check');
  });

  it('the overview totals the traffic of every key', async () => {
    await gotoHydrated(page, `${server.url}/overview`);
    const active = page.getByRole('table');
    expect(await active.textContent()).toContain('Production backend (old)');
    await screenshot(page, '11-overview');
  });

  it('sends the security headers on every page', async () => {
    const res = await fetch(`${server.url}/sign-in`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'nonce-/);
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('refuses a form post from another origin (CSRF check)', async () => {
    const res = await fetch(`${server.url}/sign-in`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password: PASSWORD }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('signs out', async () => {
    await gotoHydrated(page, `${server.url}/keys`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/sign-in`);
    await gotoHydrated(page, `${server.url}/keys`);
    expect(page.url()).toBe(`${server.url}/sign-in?redirectTo=%2Fkeys`);
  });

  it('logged no error to the browser console on any page', () => {
    expect(watch.errors).toEqual([]);
  });
});

/** A form's fields as a browser would submit them, read without running script on the page. */
async function formFields(form: Locator): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const input of await form.locator('input[name], select[name], textarea[name]').all()) {
    const name = (await input.getAttribute('name')) as string;
    const type = await input.getAttribute('type');
    if ((type === 'radio' || type === 'checkbox') && !(await input.isChecked())) continue;
    fields[name] = await input.inputValue();
  }
  return fields;
}

describe('dashboard without JavaScript', () => {
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureDashboardBuild();
    server = await startDashboardServer();
    browser = await launchChromium();
    const { context } = await newWatchedContext(browser, { javaScriptEnabled: false });
    page = await context.newPage();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  it('signs up, generates, lists, filters and revokes keys with plain forms', async () => {
    await page.goto(`${server.url}/sign-up`);
    await page.getByLabel('Username').fill('grace');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill('something else entirely');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The server applies the same rules: the error comes back beside its field.
    expect(await page.locator('#confirm-error').textContent()).toMatch(/do not match/);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/keys`);

    for (const name of ['Nightly export', 'Search widget']) {
      await page.goto(`${server.url}/keys/new`);
      await page.getByLabel('Name', { exact: true }).fill(name);
      const sent = await formFields(page.locator('form.generate'));
      await page.getByRole('button', { name: 'Generate key' }).click();
      const secret = await page.getByTestId('secret-key').inputValue();
      expect(secret).toMatch(/^rag_/);
      // The same form sent again (a double click, a resent POST) must not make a second key.
      const again = await page.request.post(`${server.url}/keys/new`, {
        form: sent,
        headers: { origin: server.url },
      });
      expect(again.status()).toBe(200);
      expect(await again.text()).toContain(secret);
    }
    await screenshot(page, '12-no-js-secret');

    await page.goto(`${server.url}/keys`);
    expect(await page.locator('[data-key-id]').count()).toBe(2);
    await screenshot(page, '13-no-js-key-list');

    // Revoke: without a dialog, the button leads to a confirmation page.
    const card = page.locator('[data-key-id]', { hasText: 'Nightly export' });
    await card.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL(/\/revoke\??$/);
    await screenshot(page, '14-no-js-revoke-confirmation');
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.waitForURL(/\/keys\/key_[^/]+$/);
    expect(await page.getByTestId('key-details').locator('[data-status]').getAttribute('data-status')).toBe(
      'revoked',
    );

    await page.goto(`${server.url}/keys?status=revoked`);
    expect(await page.locator('[data-key-id]').count()).toBe(1);
    expect(await page.locator('[data-key-id]').textContent()).toContain('Nightly export');
    await page.getByRole('link', { name: 'Active', exact: true }).click();
    expect(await page.locator('[data-key-id]').count()).toBe(1);
    expect(await page.locator('[data-key-id]').textContent()).toContain('Search widget');
  });

  it('signs in and out with plain forms', async () => {
    await page.goto(`${server.url}/keys`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/sign-in`);

    await page.goto(`${server.url}/sign-up`);
    await page.getByLabel('Username').fill('grace');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await page.locator('#username-error').textContent()).toMatch(/taken/);
    expect(await page.getByLabel('Username').inputValue()).toBe('grace');

    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Username').fill('grace');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByTestId('form-error').textContent()).toMatch(/do not match/);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/keys`);
    expect(await page.locator('[data-key-id]').count()).toBe(2);
  });
});
