// The newcomer's first minute in a real Chromium: in sandbox mode the Simulator writes as a customer
// through the real signed webhook, the message (and its photo) appears in the inbox, a reply goes out
// (marked sandbox) and shows on the customer's side.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { addUser, PASSWORD } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, type TestBrowser } from '../support/browser';
import { tempDir, testConfig } from '../support/context';

// A 1×1 PNG: the photo the made-up customer sends.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('the Simulator in a browser (sandbox mode)', function () {
  this.timeout(60_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let page: Page;
  let photo: string;
  const dirs: string[] = [];

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dirs.push(config.dataDir);
    server = await start(config);
    await addUser(server.services.db, 'owner@example.com', 'owner');
    const files = tempDir('chatx-files-');
    dirs.push(files);
    photo = path.join(files, 'croissant.png');
    fs.writeFileSync(photo, PNG);
    chrome = await launchBrowser(executable);
    ({ page } = await chrome.newPage());
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill('owner@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your inbox is ready' }).waitFor();
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should lead from the empty inbox to the Simulator', async () => {
    await page.getByRole('link', { name: 'Simulator' }).first().click();
    await page.getByRole('heading', { name: 'Simulator', level: 1 }).waitFor();
  });

  it('should send a customer message with a photo through the webhook and show it on the phone', async () => {
    await page.getByLabel('Customer name').fill('Zoë Müller');
    await page.getByLabel('Message').fill('Hallo! Habt ihr Croissants? 🥐');
    await page.getByLabel('File (optional)').setInputFiles(photo);
    await page.getByRole('button', { name: 'Send as customer' }).click();
    await page.locator('.phone-message.mine', { hasText: 'Habt ihr Croissants?' }).waitFor();
    await screenshot(page, 'simulator.png');
  });

  it('should show the message, the customer name and the photo in the inbox', async () => {
    await page.getByRole('link', { name: 'Inbox', exact: true }).click();
    const row = page.locator('.conversation-row', { hasText: 'Zoë Müller' });
    await row.waitFor();
    assert.match(await row.innerText(), /Habt ihr Croissants\?/);
    await row.locator('a').click();
    await page.getByRole('heading', { name: 'Zoë Müller', level: 1 }).waitFor();
    // The photo was downloaded by the attachment job into the encrypted DB and is served from there.
    const img = page.locator('.message-in img');
    await img.waitFor();
    assert.ok(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 1));
  });

  it('should send a reply that is marked sandbox and shows on the customer side', async () => {
    await page.getByRole('textbox', { name: 'Message' }).fill('Ja, frisch aus dem Ofen!');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const reply = page.locator('.message-out', { hasText: 'Ja, frisch aus dem Ofen!' });
    await reply.waitFor();
    // The outbox marks it right after the commit; the page shows the status it had when rendered.
    for (let i = 0; i < 20 && (await reply.getAttribute('data-status')) !== 'sandbox'; i++) {
      await page.waitForTimeout(250);
      await page.reload();
    }
    await reply.locator('.msg-status.status-sandbox').waitFor();
    await screenshot(page, 'simulator-conversation.png');
    await page.goto(`${server!.url}/simulator?name=${encodeURIComponent('Zoë Müller')}`);
    await page.locator('.phone-message.theirs', { hasText: 'Ja, frisch aus dem Ofen!' }).waitFor();
  });

  it('should have had no console errors and no CSP violations', () => {
    assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
  });
});
