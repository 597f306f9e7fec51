import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, API_USER, testConfig } from '../support/testConfig.js';

/**
 * The admin page in a real headless Chromium (Debian's `chromium` package, driven by playwright-core; no browser
 * download). CI installs the package: when it is missing this test fails, it does not skip.
 */

const CHROMIUM = '/usr/bin/chromium';
// The README's screenshot is refreshed with UPDATE_SCREENSHOT=1 npm test; otherwise it goes to a temp file so
// that a test run leaves the work tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/admin-page.png', import.meta.url))
  : join(tmpdir(), `cbo-admin-page-${process.pid}.png`);
const WORDING = {
  dont_check: "Don't check record status. Always initiate the API scheduled call.",
  reopen: 'Check record status. If the record is closed, reopen it.',
  cancel: 'Check record status. If the record is closed, cancel the scheduled call.',
};
/** An admin whose name is markup: the page must show it as text and never run it. */
const MARKUP_ADMIN = { username: '<img src=x onerror="window.__pwned=1">', password: 'markup-admin-secret-1' };

const prefix = uniquePrefix('admin-page-browser');
const crm = new InMemoryCrm('salesforce');
let t: TestClient;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install Debian's "chromium" package (apt-get install -y chromium). This browser test needs it and does not skip.`,
    );
  }
  t = await startTestApp(testConfig(prefix, { auth: { apiUsers: [API_USER], adminUsers: [ADMIN_USER, MARKUP_ADMIN], bearerTokens: [] } }), {
    crmAdapter: crm,
  });
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 30_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.app.close();
  await deletePrefix(prefix);
});

/** A page signed in with HTTP Basic; collects script errors and CSP violations so that a test can check there were none. */
async function openAdmin(user: { username: string; password: string }, viewport = { width: 1280, height: 900 }, isMobile = false) {
  const context = await browser.newContext({ httpCredentials: user, viewport, isMobile, hasTouch: isMobile });
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  const res = await page.goto(`${t.url}/admin`);
  expect(res?.status()).toBe(200);
  return { page, problems };
}

const option = (page: Page, value: keyof typeof WORDING) => page.locator(`input[name="closedRecordPolicy"][value="${value}"]`);

describe('the admin page in a browser', () => {
  it('shows the options, saves a change with a confirmation, keeps it on reload, and the API and the next callback follow it', async () => {
    const { page, problems } = await openAdmin(ADMIN_USER);

    // The three options in the portal's wording, the current value (reopen, from the config) selected.
    for (const text of Object.values(WORDING)) await expect(page.getByLabel(text).count()).resolves.toBe(1);
    expect(await option(page, 'reopen').isChecked()).toBe(true);
    expect(await option(page, 'cancel').isChecked()).toBe(false);
    expect(await page.locator('#history-empty').isVisible()).toBe(true);

    // Change and save.
    await page.getByLabel(WORDING.cancel).check();
    expect(await page.locator('#unsaved').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#policy-status.ok').waitFor();
    expect(await page.locator('#policy-status').textContent()).toBe(`Saved. Calls that fire from now on: ${WORDING.cancel}`);
    expect(await page.locator('#unsaved').isVisible()).toBe(false);

    // The last changes, from the audit trail, are on the page at once.
    await page.locator('#history tbody tr').first().waitFor();
    expect(await page.locator('#history tbody tr').first().locator('td').allTextContents()).toEqual([
      expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/),
      'admin',
      'reopen',
      'cancel',
    ]);
    expect(await page.locator('#history-empty').isVisible()).toBe(false);

    // The API agrees.
    expect(await (await t.admin('GET', '/admin/v1/settings/crm')).json()).toEqual({ salesforce: { closedRecordPolicy: 'cancel' } });

    // A reload shows the saved value.
    await page.reload();
    expect(await option(page, 'cancel').isChecked()).toBe(true);
    expect(await option(page, 'reopen').isChecked()).toBe(false);
    expect(await page.locator('#history tbody tr').count()).toBe(1);

    // The dry run from the page, on a closed case.
    crm.records.set('500Hs00001AbCdE', { closed: true, status: 'Closed' });
    await page.locator('#explain-id').fill('500Hs00001AbCdE');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.locator('#explain-decision').waitFor();
    expect(await page.locator('#explain-decision').textContent()).toBe('cancel');
    expect(await page.locator('#explain-reopen').textContent()).toBe('no');
    expect(await page.locator('#explain-comment').textContent()).toBe(CRM_COMMENTS.record_closed_canceled);
    expect(await page.locator('#explain-fail-reason').textContent()).toBe('record_closed');
    expect(await page.locator('#explain-crm-status').textContent()).toBe('Closed');
    expect(crm.comments).toEqual([]); // the dry run wrote nothing

    // A bad id shows the server's message.
    await page.locator('#explain-id').fill('no such/id');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.locator('#explain-error').waitFor();
    expect(await page.locator('#explain-error').textContent()).toBe('ticket_id is not well formed');

    // The screenshot for the README, with a confirmation and a dry-run answer on it (saving the same value again
    // records no change).
    await page.locator('#explain-id').fill('500Hs00001AbCdE');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.locator('#explain-decision').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#policy-status.ok').waitFor();
    expect(await (await t.admin('GET', '/admin/v1/settings/crm/history')).json()).toHaveLength(1);
    const before = Date.now();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).mtimeMs).toBeGreaterThanOrEqual(before - 1000);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

    // Nothing failed on the page apart from the 400 it was sent on purpose.
    expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);

    // A callback that fires after the change follows it: canceled, record_closed, the canceled comment.
    const res = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+1 859-657-9625',
      scheduled_at: inMs(800),
      ticket_id: '500Hs00001AbCdE',
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const fired = await waitFor(
      async () => {
        const c = (await (await t.api('GET', `/apps/api/v1/calls/${id}`)).json()) as { status: string; fail_reason: string | null };
        return c.status === 'canceled' ? c : null;
      },
      10_000,
      'the callback to fire',
    );
    expect(fired.fail_reason).toBe('record_closed');
    await waitFor(() => crm.commentsOn('500Hs00001AbCdE').length > 0, 10_000, 'the CRM comment');
    expect(crm.commentsOn('500Hs00001AbCdE')).toEqual([CRM_COMMENTS.record_closed_canceled]);
    expect(crm.records.get('500Hs00001AbCdE')?.closed).toBe(true);
  });

  it('stays readable on a phone: device-width layout, no sideways scrolling', async () => {
    const { page, problems } = await openAdmin(ADMIN_USER, { width: 390, height: 844 }, true);
    const layout = await page.evaluate(() => ({
      innerWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
    }));
    expect(layout.innerWidth).toBe(390); // the viewport meta is honoured (a desktop page would lay out at 980 px)
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    const save = await page.getByRole('button', { name: 'Save' }).boundingBox();
    expect(save).not.toBeNull();
    expect(save!.x + save!.width).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
  });

  it('shows names from the data as text, never as markup', async () => {
    const { page, problems } = await openAdmin(MARKUP_ADMIN);
    await page.getByLabel(WORDING.dont_check).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#policy-status.ok').waitFor();
    // Rendered by the script after saving ...
    expect(await page.locator('#history tbody tr').first().locator('td').nth(1).textContent()).toBe(MARKUP_ADMIN.username);
    // ... and by the server on the next load.
    await page.reload();
    expect(await page.locator('#current-user').textContent()).toBe(MARKUP_ADMIN.username);
    expect(await page.locator('#history tbody tr').first().locator('td').nth(1).textContent()).toBe(MARKUP_ADMIN.username);
    expect(await page.locator('main img, header img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
  });
});

describe('the queues dashboard in a browser', () => {
  it('opens at /admin/queues for an admin (linked from the admin page) and lists the three queues', async () => {
    const { page } = await openAdmin(ADMIN_USER);
    await page.getByRole('link', { name: 'Queues dashboard' }).click();
    await page.waitForURL(`${t.url}/admin/queues`);
    for (const name of ['{callbacks}', '{crm-effects}', '{bulk-cancel}']) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 10_000 });
    }
  });
});
