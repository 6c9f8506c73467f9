// In a real Chromium, a server on a random port without PUBLIC_URL and with the key beside the data:
// the key banner dismissed on the inbox but kept on Privacy (with the steps to move the key);
// Settings in sections with a Copy button beside every link to paste; an invitation link that opens
// in a fresh browser; and the owner's password-reset link, used once, signing the person out elsewhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { runAxe } from '../support/axe';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };
const STAFF = { email: 'sam@example.com', name: 'Sam Staff', password: 'sam first password', next: 'sam second password' };

describe('pasted links, Settings sections, the key banner and reset links in a browser', function () {
  this.timeout(120_000);

  let server: RunningServer | undefined;
  let dataDir: string | undefined;
  let chrome: TestBrowser | undefined;
  let owner: { context: BrowserContext; page: Page };
  let staff: { context: BrowserContext; page: Page };

  before(async function () {
    const executable = requireChromium(this);
    // No PUBLIC_URL and no key: links come from the address in use, the key is generated beside the data.
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_KEY: '' });
    dataDir = config.dataDir;
    server = await start(config);
    assert.notEqual(new URL(server.url).port, '3000');
    await addUser(server.services.db, 'olivia@example.com', 'owner');
    chrome = await launchBrowser(executable);
    owner = await chrome.newPage(LAPTOP);
    await owner.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signInAs(owner.page, server.url, 'olivia@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => assert.deepEqual(chrome?.problems ?? [], [], describeProblems(chrome?.problems ?? [])));

  async function bothSizes(page: Page, name: string) {
    await page.setViewportSize(LAPTOP);
    await screenshot(page, `${name}.png`);
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px on a phone`);
    await screenshot(page, `${name}-phone.png`);
    await page.setViewportSize(LAPTOP);
  }

  /** Runs `steps`, taking out of the problems the browser's expected complaints (`allowed`). */
  async function expecting(allowed: RegExp, steps: () => Promise<void>): Promise<void> {
    const mark = chrome!.problems.length;
    await steps();
    const others = chrome!.problems.splice(mark).filter((p) => !(p.kind === 'console-error' && allowed.test(p.text)));
    chrome!.problems.push(...others);
  }

  /** Axe over the page's content; the shared header is checked by the accessibility pass. */
  async function noSeriousAxe(page: Page) {
    const serious = (await runAxe(page, { exclude: ['.topbar'] })).filter(
      (f) => f.impact === 'serious' || f.impact === 'critical',
    );
    assert.deepEqual(serious, [], JSON.stringify(serious, null, 2));
  }

  it('should let the owner dismiss the key banner on the inbox, and keep it on Privacy', async () => {
    const { page } = owner;
    const banner = page.locator('.banner-key');
    await banner.waitFor();
    await bothSizes(page, 'key-banner-inbox');
    await page.getByRole('button', { name: /Dismiss the key warning/ }).click();
    await banner.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).pathname, '/');
    await screenshot(page, 'key-banner-dismissed-inbox.png');
    await page.getByRole('link', { name: 'Privacy', exact: true }).click();
    await page.waitForURL(`${server!.url}/privacy/manage`);
    await banner.waitFor();
    assert.equal(await page.getByRole('button', { name: /Dismiss the key warning/ }).count(), 0, 'not dismissable here');
    await page.getByRole('heading', { name: 'Move the key out of the data folder' }).waitFor();
    await page.locator('#key').scrollIntoViewIfNeeded();
    await bothSizes(page, 'key-banner-privacy');
    await page.goto(`${server!.url}/contacts`);
    assert.equal(await banner.count(), 0, 'dismissed on the other pages');
  });

  it('should show Settings in sections with the current one marked, and a save stays in its section', async () => {
    const { page } = owner;
    await page.goto(`${server!.url}/settings`);
    const sections = page.getByRole('navigation', { name: 'Settings sections' });
    assert.equal(await sections.locator('[aria-current="page"]').innerText(), 'Business');
    await page.getByLabel('Business name').fill('Rosa’s Bakery');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(`${server!.url}/settings/business?saved=1`);
    await page.getByText('Saved.').waitFor();
    assert.equal(await sections.locator('[aria-current="page"]').innerText(), 'Business');
    await noSeriousAxe(page);
    await bothSizes(page, 'settings-business-saved');

    await sections.getByRole('link', { name: 'Messenger' }).click();
    await page.waitForURL(`${server!.url}/settings/messenger`);
    assert.equal(await sections.locator('[aria-current="page"]').innerText(), 'Messenger');
    await page.getByRole('button', { name: 'Save Messenger settings' }).click();
    await page.waitForURL(`${server!.url}/settings/messenger?saved=1`);
    await page.getByText('Messenger settings saved.').waitFor();

    // An old link with an anchor leads to its section's page.
    await page.goto(`${server!.url}/settings#canned`);
    await page.waitForURL(`${server!.url}/settings/canned`);
    await page.getByRole('heading', { name: 'Canned responses', level: 2 }).waitFor();
  });

  it('should copy the callback URL, built from the address in use, by click and by keyboard', async () => {
    const { page } = owner;
    await page.goto(`${server!.url}/settings/messenger`);
    const url = await page.getByLabel('Callback URL', { exact: true }).inputValue();
    assert.equal(url, `${server!.url}/webhooks/messenger`);
    assert.equal(
      await page.getByLabel('Data deletion URL', { exact: true }).inputValue(),
      `${server!.url}/webhooks/messenger/data-deletion`,
    );
    await page.getByRole('button', { name: 'Copy Callback URL' }).click();
    const field = page.locator('.copy-field').filter({ has: page.locator('#webhook-url') });
    await field.getByText('Copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    await bothSizes(page, 'settings-messenger-copied');

    // By keyboard: Tab from the field reaches its button; Enter copies.
    await page.getByLabel('Verify token', { exact: true }).focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Copy Verify token');
    await page.keyboard.press('Enter');
    await page
      .locator('.copy-field')
      .filter({ has: page.locator('#verify-token') })
      .getByText('Copied')
      .waitFor();
    const token = await page.getByLabel('Verify token', { exact: true }).inputValue();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  });

  it('should make an invitation link that opens in a fresh browser and lets the invitee set a password', async () => {
    const { page } = owner;
    await page.goto(`${server!.url}/users`);
    await page.getByLabel('Email').fill(STAFF.email);
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const link = await page.getByLabel('Invitation link', { exact: true }).inputValue();
    assert.ok(link.startsWith(`${server!.url}/invite/`), `${link} starts with the address in use`);
    await page.getByRole('button', { name: 'Copy Invitation link' }).click();
    await page.getByText('Copied').waitFor();
    await bothSizes(page, 'users-invitation-link');

    staff = await chrome!.newPage(LAPTOP);
    await staff.page.goto(link);
    await staff.page.getByRole('heading', { name: 'Join ChatX' }).waitFor();
    await staff.page.getByLabel('Your name').fill(STAFF.name);
    await staff.page.getByLabel('Password').fill(STAFF.password);
    await staff.page.getByRole('button', { name: 'Join' }).click();
    await staff.page.waitForURL(`${server!.url}/`);
  });

  it('should let the owner send a reset link that sets a new password once and signs out the old session', async () => {
    const { page } = owner;
    await page.goto(`${server!.url}/users`);
    await page.getByRole('button', { name: `Reset password of ${STAFF.email}` }).click();
    await page.getByRole('heading', { name: `Password reset link for ${STAFF.name}` }).waitFor();
    const link = await page.getByLabel('Password reset link', { exact: true }).inputValue();
    assert.ok(link.startsWith(`${server!.url}/reset/`), link);
    await page.getByRole('button', { name: 'Copy Password reset link' }).click();
    await page
      .locator('.copy-field')
      .filter({ has: page.locator('#reset-link') })
      .getByText('Copied')
      .waitFor();
    await noSeriousAxe(page);
    await bothSizes(page, 'users-reset-link');

    const fresh = await chrome!.newPage(LAPTOP);
    await fresh.page.goto(link);
    await fresh.page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await bothSizes(fresh.page, 'reset-password');
    await fresh.page.getByLabel('New password').fill(STAFF.next);
    // The old session's live stream ends when the password is set: htmx logs its error event.
    await expecting(/^\[object Event\]$/, async () => {
      await fresh.page.getByRole('button', { name: 'Set password and sign in' }).click();
      await fresh.page.waitForURL(`${server!.url}/`);
      await staff.page.goto(`${server!.url}/`);
    });

    // The session from before the reset is over; the login page says how to recover.
    await staff.page.waitForURL(/\/login/);
    await staff.page.getByText('Ask the owner to send you a reset link').waitFor();
    assert.match(await staff.page.locator('.card .help code').innerText(), /^npm run chatx -- user:reset-password/);
    await noSeriousAxe(staff.page);
    await bothSizes(staff.page, 'login-reset-hint');
    await signInAs(staff.page, server!.url, STAFF.email, STAFF.next);

    // Used once: the browser logs the 404 page it gets.
    await expecting(/status of 404/, async () => {
      await fresh.page.goto(link);
      await fresh.page.getByText('This reset link is unknown, used or expired').waitFor();
    });
  });
});
