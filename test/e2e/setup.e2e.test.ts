// The very first visit, in a real Chromium against a real server: setup → inbox → sign out → sign in,
// with screenshots for review and no console errors or CSP violations on any page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { describeProblems, launchBrowser, requireChromium, screenshot, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const OWNER = { name: 'Olivia Owner', email: 'olivia@example.com', password: 'a long enough password' };

describe('first start in a browser', function () {
  this.timeout(60_000);

  let server: RunningServer | undefined;
  let dataDir: string | undefined;
  let chrome: TestBrowser | undefined;
  let page: Page;

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    chrome = await launchBrowser(executable);
    ({ page } = await chrome.newPage({ width: 1280, height: 800 }));
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const path = () => new URL(page.url()).pathname;
  const heading = (name: string) => page.getByRole('heading', { name, level: 1 });

  it('should send a visitor of an empty install from / to /setup', async () => {
    await page.goto(`${server!.url}/`);
    assert.equal(path(), '/setup');
    await heading('Create the owner account').waitFor();
    await screenshot(page, 'setup.png');
  });

  it('should create the owner, sign them in and show the empty inbox', async () => {
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Create owner and sign in' }).click();
    await heading('Your inbox is ready').waitFor();
    await page.waitForURL(`${server!.url}/`);
    assert.equal(path(), '/');
    await screenshot(page, 'inbox-empty.png');
  });

  it('should fit the empty inbox on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await heading('Your inbox is ready').waitFor();
    await screenshot(page, 'inbox-empty-phone.png');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px wide`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('should sign out with the Sign out button and land on /login', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in').waitFor();
    await page.waitForURL(/\/login(\?|$)/);
    assert.equal(path(), '/login');
    await screenshot(page, 'login.png');
  });

  it('should sign in again with the same credentials and show the inbox', async () => {
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Your inbox is ready').waitFor();
    await page.waitForURL(`${server!.url}/`);
    assert.equal(path(), '/');
  });

  it('should show the inbox again after a full reload (the session cookie holds)', async () => {
    await page.reload();
    await heading('Your inbox is ready').waitFor();
    assert.equal(path(), '/');
  });

  it('should have had no console errors and no CSP violations on any page', () => {
    assert.deepEqual(chrome!.problems, [], `problems in the browser:\n${describeProblems(chrome!.problems)}`);
  });
});
