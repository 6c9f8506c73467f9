// The contact panel beside a conversation in a real Chromium (sandbox mode): the customer's phone
// number offered as a suggestion and taken with one click, details edited from the panel and seen
// at once (htmx swaps the panel), the folded state remembered across reloads, the panel below the
// thread on a phone, and the contact page with its timeline. Screenshots to test-output/screenshots/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createFieldDef } from '../../src/crm/fields';
import { start, type RunningServer } from '../../src/server';
import { setSetting } from '../../src/settings/store';
import { entry, pageBody, postWebhook, textEvent, uniqueMid } from '../fakes/messenger-events';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const PSID = '7800000000000001';

describe('the contact panel in a browser', function () {
  this.timeout(60_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let staff: Page;
  let conversationId: number;
  let contactId: number;
  let dataDir: string | undefined;

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db, channel, queue } = server.services;
    await addUser(db, 'owner@example.com', 'owner');
    await addUser(db, 'sam@example.com', 'staff');
    await setSetting(db, `sandbox.profile.${PSID}`, 'Noor Haddad');
    await createFieldDef(
      db,
      { name: 'Size', type: 'choice', choices: ['Small', 'Medium', 'Large'], position: 1 },
      { actor: 'test' },
    );
    const state = await channel.state();
    for (const text of ['Hello! Do you ship to Amman?', 'My number is +962 7 9555 0142 if easier']) {
      const event = textEvent({ pageId: state.pageId, psid: PSID, mid: uniqueMid(), text });
      assert.equal((await postWebhook(server.url, pageBody([entry(state.pageId, [event])]), state.appSecret!)).status, 200);
    }
    await queue.kick();
    ({ id: conversationId, contact_id: contactId } = (await db.get<{ id: number; contact_id: number }>(
      'SELECT id, contact_id FROM conversations',
    ))!);
    await server.services.workflow.addLabel(conversationId, 'export');
    await server.services.workflow.addNote(
      conversationId,
      (await db.get<{ id: number }>("SELECT id FROM users WHERE email = 'sam@example.com'"))!.id,
      'Asked about shipping costs',
    );

    chrome = await launchBrowser(executable);
    ({ page: staff } = await chrome.newPage());
    await signInAs(staff, server!.url, 'sam@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const panel = () => staff.locator('#contact-panel');

  it('should show the panel beside the conversation with a suggestion from their messages', async () => {
    await staff.goto(`${server!.url}/conversations/${conversationId}`);
    await panel().getByText('Noor Haddad').first().waitFor();
    await panel().getByText('export').waitFor();
    const box = (await panel().boundingBox())!;
    const thread = (await staff.locator('.inbox .conversation').boundingBox())!;
    assert.ok(box.x >= thread.x + thread.width - 1, 'the panel sits to the right of the thread');
    await panel()
      .getByRole('button', { name: /\+962 7 9555 0142 · Use as phone/ })
      .waitFor();
    await screenshot(staff, 'contact-panel.png');
  });

  it('should take the suggestion with one click and show it at once', async () => {
    await panel()
      .getByRole('button', { name: /Use as phone/ })
      .click();
    await panel().getByText('Details saved.').waitFor();
    await panel().locator('dd', { hasText: '+962 7 9555 0142' }).waitFor();
    const stored = await server!.services.db.get<{ phone: string }>('SELECT phone FROM contacts WHERE id = ?', [contactId]);
    assert.equal(stored!.phone, '+962 7 9555 0142');
  });

  it('should edit the details from the panel and see the change', async () => {
    await panel().getByText('Edit details').click();
    await panel().getByLabel('Display name').fill('Noor H.');
    await panel().getByLabel('Email').fill('noor@example.com');
    await panel().getByLabel('Size').selectOption('Medium');
    await panel().getByRole('button', { name: 'Save details' }).click();
    await panel().getByText('Details saved.').waitFor();
    await panel().locator('dd', { hasText: 'noor@example.com' }).waitFor();
    await panel().locator('dd', { hasText: 'Medium' }).waitFor();
    await panel().getByText('(Messenger: Noor Haddad)').waitFor();
    // Still the conversation page: htmx swapped the panel, nothing else.
    assert.equal(staff.url(), `${server!.url}/conversations/${conversationId}`);
    const row = await server!.services.db.get<{ detail: string }>(
      "SELECT detail FROM audit_log WHERE action = 'contact.updated' ORDER BY id DESC",
    );
    assert.deepEqual(JSON.parse(row!.detail), { fields: ['name', 'email', 'fields'] });
    await screenshot(staff, 'contact-panel-saved.png');
  });

  it('should remember the folded panel across a reload', async () => {
    await panel().locator('> summary').click();
    assert.equal(await panel().evaluate((d) => (d as HTMLDetailsElement).open), false);
    await staff.reload();
    await panel().waitFor({ state: 'attached' });
    await staff.waitForFunction(() => !(document.getElementById('contact-panel') as HTMLDetailsElement).open);
    await panel().locator('> summary').click();
    await staff.reload();
    await staff.waitForFunction(() => (document.getElementById('contact-panel') as HTMLDetailsElement).open);
  });

  it('should sit above the thread on a phone, folded to one line, leaving the composer on screen', async () => {
    const { page: phone } = await chrome!.newPage({ width: 390, height: 844 });
    await signInAs(phone, server!.url, 'sam@example.com');
    await phone.goto(`${server!.url}/conversations/${conversationId}`);
    const details = phone.locator('#contact-panel');
    await details.waitFor();
    await phone.waitForFunction(() => !(document.getElementById('contact-panel') as HTMLDetailsElement).open);
    const box = (await details.boundingBox())!;
    const thread = (await phone.locator('.inbox .conversation').boundingBox())!;
    assert.ok(box.y + box.height <= thread.y + 1, 'above the thread');
    assert.ok(box.height <= 60, `the folded panel is ${box.height}px tall`);
    const composer = (await phone.locator('.composer').boundingBox())!;
    assert.ok(composer.y + composer.height <= 844 + 1, 'the composer is on screen');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await details.locator('> summary').click();
    await details.scrollIntoViewIfNeeded();
    await screenshot(phone, 'contact-panel-phone.png');
  });

  it('should show the contact page with its timeline', async () => {
    await staff.getByRole('link', { name: 'Full contact page →' }).click();
    await staff.waitForURL(`${server!.url}/contacts/${contactId}`);
    const timeline = staff.locator('#timeline');
    await timeline.getByText('Details corrected').first().waitFor();
    await timeline.getByText('Asked about shipping costs').waitFor();
    await timeline.getByRole('link', { name: 'Hello! Do you ship to Amman?' }).waitFor();
    await timeline.scrollIntoViewIfNeeded();
    await screenshot(staff, 'contact-page-timeline.png');
    await timeline.getByRole('link', { name: 'Hello! Do you ship to Amman?' }).click();
    await staff.waitForURL(new RegExp(`/conversations/${conversationId}#message-\\d+$`));
  });

  it('should have had no console errors and no CSP violations', () => {
    assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
  });
});
