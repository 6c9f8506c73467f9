// "Export everything" on the owner's Privacy page, in a real Chromium against a real server: the
// click starts a native download, the progress bar follows the server's count of records written
// up to the end, and the file that arrives is the whole ZIP. On a desktop and on a phone's width.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';
import { text, unzip } from '../support/unzip';
import { seedMessages } from '../privacy/export-fixtures';

// Enough that the export lasts several of the page's progress polls (0.4 s apart), even on a fast machine.
const MESSAGES = 200_000;

describe('Export everything, from the Privacy page in a browser', function () {
  this.timeout(120_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let page: Page;
  let dataDir: string | undefined;

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db } = server.services;
    await addUser(db, 'owner@example.com', 'owner');
    const now = Date.now();
    await db.run(
      "INSERT INTO contacts (id, page_id, psid, name, created_at, updated_at) VALUES (1, 'sandbox', '4300000000000001', 'Lea Weber', ?, ?)",
      [now, now],
    );
    await db.run("INSERT INTO conversations (id, page_id, contact_id, created_at, updated_at) VALUES (1, 'sandbox', 1, ?, ?)", [
      now,
      now,
    ]);
    await seedMessages(db, 1, MESSAGES);
    chrome = await launchBrowser(executable);
    ({ page } = await chrome.newPage());
    await signInAs(page, server.url, 'owner@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every value the progress bar shows, recorded in the page as it changes. */
  async function recordProgress(): Promise<void> {
    await page.evaluate(() => {
      const bar = document.querySelector('[data-export-progress] progress') as HTMLProgressElement;
      const seen: [number, number][] = [];
      (window as unknown as { seenProgress: [number, number][] }).seenProgress = seen;
      new MutationObserver(() => seen.push([bar.value, bar.max])).observe(bar, { attributes: true });
    });
  }

  it('should reach the Privacy page through the menu and show the export section', async () => {
    await page.getByRole('link', { name: 'Privacy', exact: true }).click();
    await page.getByRole('heading', { name: 'Export everything', level: 2 }).waitFor();
    assert.equal(await page.locator('[data-export-progress]').isHidden(), true, 'no progress bar before the click');
  });

  it('should download the ZIP while the progress bar runs to completion', async () => {
    await recordProgress();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export everything' }).click(),
    ]);
    const status = page.locator('[data-export-status]');
    await status.filter({ hasText: /^Done: [\d,]+ records exported/ }).waitFor({ timeout: 60_000 });
    const bar = page.locator('[data-export-progress] progress');
    const [value, max] = await bar.evaluate((el: HTMLProgressElement) => [el.value, el.max]);
    assert.ok(max > MESSAGES, `the bar counts every record (max ${max})`);
    assert.equal(value, max, 'the bar is full');
    const seen = await page.evaluate(() => (window as unknown as { seenProgress: [number, number][] }).seenProgress);
    const between = seen.filter(([v, m]) => m === max && v > 0 && v < max);
    assert.ok(between.length > 0, `the bar showed progress on the way, not only the end: ${JSON.stringify(seen)}`);
    const values = seen.filter(([, m]) => m === max).map(([v]) => v);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      'the bar only moves forward',
    );
    await screenshot(page, 'privacy-export.png');

    assert.match(download.suggestedFilename(), /^chatx-export-\d{4}-\d\d-\d\d-\d{4}\.zip$/);
    const file = await download.path();
    assert.equal(await download.failure(), null);
    const zip = unzip(fs.readFileSync(file));
    const lines = text(zip, 'messages.jsonl').trim().split('\n');
    assert.equal(lines.length, MESSAGES, 'every message arrived in the file');
    assert.equal(JSON.parse(text(zip, 'manifest.json')).counts.messages, MESSAGES);
    const total = Number(/Done: ([\d,]+) records/.exec(await status.innerText())![1].replace(/,/g, ''));
    assert.equal(total, max);
  });

  it('should fit on a phone, and export from there too', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export everything' }).click(),
    ]);
    await page
      .locator('[data-export-status]')
      .filter({ hasText: /^Done:/ })
      .waitFor({ timeout: 60_000 });
    assert.equal(await download.failure(), null);
    await page.locator('#export').scrollIntoViewIfNeeded();
    await screenshot(page, 'privacy-export-phone.png');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px wide`);
    const bar = await page.locator('[data-export-progress] progress').boundingBox();
    assert.ok(bar && bar.width > 250, 'the progress bar spans the phone screen');
  });

  it('should have had no console errors and no CSP violations', () => {
    assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
  });
});
