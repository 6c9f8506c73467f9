// The lead board in a real Chromium (sandbox mode): a contact made a lead on their page, the card
// moved on the board by its select (htmx) and by dragging it to another column (leads-board.js),
// the contact page showing the new stage (and the move in its timeline), and no CSP violation on the way. Screenshots of the board
// and of the lead card to test-output/screenshots/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { setSetting } from '../../src/settings/store';
import { entry, pageBody, postWebhook, textEvent, uniqueMid } from '../fakes/messenger-events';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const PEOPLE = [
  ['7800000000000001', 'Ana Lima', 'I would like 40 cupcakes for a wedding'],
  ['7800000000000002', 'Ben Okafor', 'Do you deliver on Sundays?'],
] as const;

describe('the lead board in a browser', function () {
  this.timeout(60_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let staff: Page;
  let dataDir: string | undefined;
  const contacts: number[] = [];

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db, channel, queue } = server.services;
    await addUser(db, 'owner@example.com', 'owner');
    await addUser(db, 'sam@example.com', 'staff');
    const state = await channel.state();
    for (const [psid, name, text] of PEOPLE) {
      await setSetting(db, `sandbox.profile.${psid}`, name);
      const event = textEvent({ pageId: state.pageId, psid, mid: uniqueMid(), text });
      assert.equal((await postWebhook(server.url, pageBody([entry(state.pageId, [event])]), state.appSecret!)).status, 200);
    }
    await queue.kick();
    for (const [psid] of PEOPLE)
      contacts.push((await db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [psid]))!.id);
    await db.run("UPDATE contacts SET lead_source = 'ad:spring' WHERE id = ?", [contacts[1]]);
    await server.services.leads.change(contacts[1], { value: '480', expected_close: '2026-06-01' }, { actor: 'test' });

    chrome = await launchBrowser(executable);
    ({ page: staff } = await chrome.newPage());
    await signInAs(staff, server.url, 'sam@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const column = (name: string) => staff.locator('.lead-column', { has: staff.getByRole('heading', { name, exact: true }) });

  it('should make a contact a lead from their page', async () => {
    await staff.goto(`${server!.url}/contacts/${contacts[0]}`);
    await staff.getByRole('button', { name: 'Make a lead' }).click();
    await staff.locator('#lead').getByText('Lead saved.').waitFor();
    await staff.locator('#lead').getByLabel('Value').fill('1250.50');
    await staff.locator('#lead').getByRole('button', { name: 'Save lead' }).click();
    await staff.locator('#lead').getByText('Lead saved.').waitFor();
    await screenshot(staff, 'lead-card.png');
    await staff.locator('.mainnav').getByRole('link', { name: 'Leads' }).click();
    await column('New').getByRole('link', { name: 'Ana Lima' }).waitFor();
    await column('New').getByRole('link', { name: 'Ben Okafor' }).waitFor();
  });

  it('should move a card with its select, with the keyboard', async () => {
    const select = staff.getByLabel('Stage of Ana Lima');
    await select.focus();
    await select.selectOption({ label: 'Qualified' });
    await column('Qualified').getByRole('link', { name: 'Ana Lima' }).waitFor();
    assert.equal(await column('New').getByRole('link', { name: 'Ana Lima' }).count(), 0);
  });

  it('should move a card by dragging it to another column', async () => {
    const card = staff.locator('.lead-card', { has: staff.getByRole('link', { name: 'Ben Okafor' }) });
    await card.dragTo(column('Won'));
    await column('Won').getByRole('link', { name: 'Ben Okafor' }).waitFor();
    await column('Won').getByText('480').first().waitFor();
    await screenshot(staff, 'leads-board.png');
  });

  it('should show the new stage on the contact page', async () => {
    await column('Won').getByRole('link', { name: 'Ben Okafor' }).click();
    await staff.waitForURL(`${server!.url}/contacts/${contacts[1]}`);
    await staff.locator('#about').getByText('Won').waitFor();
    assert.equal(await staff.locator('#lead').getByLabel('Stage').locator('option:checked').textContent(), 'Won');
    // The timeline has the move, newest first: the lead stage entry names where it went.
    const newestStage = staff.locator('#timeline .timeline-lead').filter({ hasText: 'Lead stage' }).first();
    await newestStage.waitFor();
    assert.match((await newestStage.textContent()) ?? '', /Won/);
    const stored = await server!.services.leads.forContact(contacts[1]);
    assert.equal(stored!.stage.name, 'Won');
    assert.ok(stored!.closedAt);
  });

  it('should show the table view, sorted, and cause no CSP violation or console error', async () => {
    await staff.goto(`${server!.url}/leads?view=table&sort=value&dir=desc`);
    await staff.getByRole('link', { name: 'Ana Lima' }).waitFor();
    await screenshot(staff, 'leads-table.png');
    assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
  });
});
