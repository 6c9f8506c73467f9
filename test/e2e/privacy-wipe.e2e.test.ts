// "Wipe everything" from the owner's Privacy page, in a real Chromium against a real server: the
// page says what goes (the backups too), a wrong business name or password is refused with
// everything left in place, and the right ones end at /setup with nothing left and the staff
// member's open inbox signed out. No console errors or CSP violations on the way.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createApp } from '../../src/app';
import { listBackups } from '../../src/privacy/backups';
import { start, type RunningServer } from '../../src/server';
import { saveBusinessProfile } from '../../src/settings/store';
import { customerWrites } from '../inbox/support';
import { addUser, PASSWORD } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig, type TestContext } from '../support/context';

describe('Wipe everything, from the Privacy page in a browser', function () {
  this.timeout(90_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let page: Page;
  let staffPage: Page;
  let dataDir: string | undefined;

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db } = server.services;
    await addUser(db, 'owner@example.com', 'owner');
    await addUser(db, 'staff@example.com', 'staff');
    await saveBusinessProfile(db, { businessName: 'Rosa’s Bakery', contactEmail: 'hello@example.com', website: '' });
    const ctx = { deps: server.services, app: createApp(server.services) } as unknown as TestContext;
    await customerWrites(ctx, '9900000000000001', 'Two croissants for Saturday, please');
    await server.services.vault.backup('manual', { actor: 'test' });
    chrome = await launchBrowser(executable);
    ({ page } = await chrome.newPage());
    ({ page: staffPage } = await chrome.newPage());
    await signInAs(page, server!.url, 'owner@example.com');
    await signInAs(staffPage, server!.url, 'staff@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const heading = (name: string) => page.getByRole('heading', { name, level: 1 });

  it('should reach the wipe page from the Privacy page, saying that the backups go too', async () => {
    await page.getByRole('link', { name: 'Privacy', exact: true }).click();
    await page.getByRole('heading', { name: 'Backups', level: 2 }).waitFor();
    assert.equal(await page.locator('#backup-list tbody tr').count(), 1);
    await screenshot(page, 'privacy-backups.png');
    await page.getByRole('link', { name: 'Wipe everything…' }).click();
    await heading('Wipe everything').waitFor();
    assert.match(await page.locator('#wipe .alert-warn').innerText(), /and every backup in DATA_DIR\/backups \(1 now\)/);
    await screenshot(page, 'privacy-wipe.png');
  });

  /** Runs `steps`, taking out of the problems the browser's expected complaints (`allowed`); any other still fails the last test. */
  async function expecting(allowed: RegExp, steps: () => Promise<void>): Promise<void> {
    const mark = chrome!.problems.length;
    await steps();
    const others = chrome!.problems.splice(mark).filter((p) => !(p.kind === 'console-error' && allowed.test(p.text)));
    chrome!.problems.push(...others);
  }

  it('should refuse a wrong business name, and a wrong password, leaving everything in place', async () => {
    // The browser and htmx each log the form's 400 and 403 answers (which htmx swaps in as configured).
    await expecting(/status of 40[03]|Status Error Code 40[03]/, async () => {
      await page.getByLabel(/^Type Rosa’s Bakery/).fill('Rosa');
      await page.getByLabel('Your password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Wipe everything' }).click();
      await page.locator('#wipe-error').filter({ hasText: 'Type “Rosa’s Bakery” to confirm.' }).waitFor();
      await page.getByLabel(/^Type Rosa’s Bakery/).fill('Rosa’s Bakery');
      await page.getByLabel('Your password').fill('not the password');
      await page.getByRole('button', { name: 'Wipe everything' }).click();
      await page.locator('#wipe-error').filter({ hasText: 'That is not your password.' }).waitFor();
    });
    await screenshot(page, 'privacy-wipe-refused.png');
    const { db } = server!.services;
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM messages'))!.n, 1);
    assert.equal(listBackups(dataDir!).length, 1);
  });

  it('should wipe with the name and the password, and end at /setup with nothing left', async () => {
    // The staff member's open inbox: htmx logs its live stream's error event when the wipe ends it.
    await expecting(/^\[object Event\]$/, async () => {
      await page.getByLabel(/^Type Rosa’s Bakery/).fill('Rosa’s Bakery');
      await page.getByLabel('Your password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Wipe everything' }).click();
      await page.waitForURL(`${server!.url}/setup`);
      await heading('Create the owner account').waitFor();
      await staffPage.waitForTimeout(500);
    });
    await screenshot(page, 'privacy-wipe-setup.png');
    const { db } = server!.services;
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n, 0);
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM messages'))!.n, 0);
    assert.deepEqual(listBackups(dataDir!), []);
  });

  it('should have signed the staff member out: their next step lands on /setup', async () => {
    await staffPage.reload();
    await staffPage.waitForURL(`${server!.url}/setup`);
  });

  it('should have had no console errors and no CSP violations', () => {
    assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
  });
});
