// A customer asks to be forgotten, in a real Chromium: staff record the request on the person's
// page, the customer's status page says it is in progress, the owner deletes them now (password
// and a confirmation), a colleague's open tab on the conversation loses it live, and afterwards the
// status page says done and nothing of the person is left to find.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { entry, metaJson, pageBody, signBody, textEvent, uniqueMid } from '../fakes/messenger-events';
import { addUser, PASSWORD } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const PSID = '7300000000000042';

describe('a deletion request, from the person’s page to done (browser)', function () {
  this.timeout(90_000);
  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let owner: Page;
  let colleague: Page;
  let dataDir = '';

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db, channel } = server.services;
    await addUser(db, 'owner@example.com', 'owner');
    await addUser(db, 'staff@example.com', 'staff');
    // The customer writes through the real signed webhook (sandbox mode: the sandbox Page and secret).
    const state = await channel.state();
    const body = metaJson(
      pageBody([
        entry(state.pageId, [
          textEvent({ pageId: state.pageId, psid: PSID, mid: uniqueMid(), text: 'Please delete my data, I moved away' }),
        ]),
      ]),
    );
    const res = await fetch(`${server.url}/webhooks/messenger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, state.appSecret!) },
      body,
    });
    assert.equal(res.status, 200);
    await db.run("UPDATE contacts SET name = 'Greta Weber' WHERE psid = ?", [PSID]);
    chrome = await launchBrowser(executable);
    ({ page: owner } = await chrome.newPage());
    ({ page: colleague } = await chrome.newPage({ width: 390, height: 844 }));
    await signInAs(owner, server!.url, 'owner@example.com');
    await signInAs(colleague, server!.url, 'staff@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  let statusUrl = '';

  it('should let staff record the request on the person’s page and show its code and deadline', async () => {
    await colleague.goto(`${server!.url}/contacts`);
    await colleague.getByRole('link', { name: 'Greta Weber' }).first().click();
    await colleague.getByRole('heading', { name: 'Greta Weber', level: 1 }).waitFor();
    await colleague.getByLabel('They asked for deletion').selectOption('email');
    await colleague.getByRole('button', { name: 'Record the deletion request' }).click();
    const notice = colleague.locator('#privacy .alert');
    await notice.waitFor();
    assert.match(await notice.innerText(), /Deletion requested .*by email/s);
    assert.match(await notice.innerText(), /erased by/);
    statusUrl = (await notice.getByRole('link').getAttribute('href'))!;
    assert.match(statusUrl, /^\/data-deletion\/[A-Z2-9]{12}$/);
    assert.equal(await colleague.getByRole('button', { name: 'Delete now' }).count(), 0, 'staff cannot delete now');
    await screenshot(colleague, 'privacy-deletion-requested-phone.png');
  });

  it('should show the customer a status page that says in progress and nothing about them', async () => {
    const { page } = await chrome!.newPage();
    await page.goto(`${server!.url}${statusUrl}`);
    const text = await page.locator('main').innerText();
    assert.match(text, /In progress/);
    assert.doesNotMatch(text, /Greta|Weber|7300000000000042|moved away/);
    await page.close();
  });

  it('should let the owner delete the person now, with the password, and take the conversation off an open tab', async () => {
    // The colleague has the conversation open meanwhile.
    await colleague.goto(`${server!.url}/`);
    await colleague.locator('.conversation-row', { hasText: 'Greta Weber' }).locator('a').click();
    await colleague.locator('#messages').getByText('Please delete my data').waitFor();

    await owner.goto(`${server!.url}/contacts`);
    await owner.getByRole('link', { name: 'Greta Weber' }).first().click();
    await owner.getByRole('heading', { name: 'Greta Weber', level: 1 }).waitFor();
    await owner.getByLabel('Your password, to delete them now').fill(PASSWORD);
    owner.once('dialog', (dialog) => void dialog.accept());
    await owner.getByRole('button', { name: 'Delete now' }).click();
    await owner.getByText('was carried out').waitFor();
    await screenshot(owner, 'privacy-deletion-done.png');

    await colleague.getByText('This conversation was deleted').waitFor({ timeout: 5000 });
    await screenshot(colleague, 'privacy-deletion-open-tab-phone.png');
    assert.equal(await colleague.locator('#messages').count(), 0, 'the messages left the screen');

    await owner.goto(`${server!.url}/contacts`);
    assert.equal(await owner.getByText('Greta Weber').count(), 0, 'gone from Contacts');
    await owner.goto(`${server!.url}${statusUrl}`);
    assert.match(await owner.locator('main').innerText(), /Done\./);
    assert.deepEqual(describeProblems(chrome!.problems), '');
  });
});
