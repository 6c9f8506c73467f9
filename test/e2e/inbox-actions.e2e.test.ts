// The inbox's actions in a real Chromium, sandbox mode, at a laptop's and a phone's size (issue 13,
// items 4, 5 and 8): the header's "Assign to me", assignee menu, label picker and snooze presets
// (keyboard too: arrows, Esc back to the button); activity lines appearing live in a second tab;
// Undo after resolve and snooze; "Mark unread" keeping the conversation in view; and the list's All
// tab, bulk resolve, sorting and the search that filters the list as you type. Screenshots under
// test-output/screenshots/actions-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createUser } from '../../src/auth/users';
import type { Config } from '../../src/config';
import { buildSimulatedEvent, deliverToWebhook } from '../../src/messenger/simulator';
import { start, type RunningServer } from '../../src/server';
import { PASSWORD } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const OWNER = 'olivia@example.com';
const STAFF = 'sam@example.com';
const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

describe('inbox actions in a browser: header menus, activity lines, undo, bulk, sort, search', function () {
  this.timeout(90_000);

  let config: Config;
  let running: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  const url = (p: string) => `${running!.url}${p}`;
  const db = () => running!.services.db;

  async function customerSays(name: string, text: string): Promise<number> {
    const state = await running!.services.channel.state();
    const { body } = await buildSimulatedEvent(db(), { pageId: state.pageId, name, text });
    assert.equal(await deliverToWebhook(running!.url, body, state.appSecret!), 200);
    await running!.services.queue.kick();
    const row = await db().get<{ id: number }>(
      'SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.name = ?',
      [name],
    );
    return row!.id;
  }
  const statusOf = async (id: number) =>
    (await db().get<{ status: string }>('SELECT status FROM conversations WHERE id = ?', [id]))!.status;

  async function signedIn(email: string, size: { width: number; height: number }): Promise<Page> {
    const { context, page } = await chrome!.newPage(size);
    context.setDefaultTimeout(10_000);
    await context.addInitScript({
      content: `window.__sseOpens = 0; document.addEventListener('htmx:sseOpen', function () { window.__sseOpens += 1; });`,
    });
    await signInAs(page, url(''), email);
    return page;
  }
  const streaming = (page: Page) => page.waitForFunction(() => (window as unknown as { __sseOpens: number }).__sseOpens > 0);
  const opens = (page: Page) => page.evaluate(() => (window as unknown as { __sseOpens: number }).__sseOpens);
  /** Acts, then waits for the inbox page it leads to (a boosted navigation opens a new live stream). */
  async function navigate(page: Page, act: () => Promise<unknown>): Promise<void> {
    const before = await opens(page);
    await act();
    await page.waitForFunction((n) => (window as unknown as { __sseOpens: number }).__sseOpens > n, before);
  }

  let amira: number;
  let ben: number;
  let carla: number;
  let dev: number;

  before(async function () {
    const executable = requireChromium(this);
    config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    running = await start(config);
    await createUser(db(), { email: OWNER, name: 'Olivia Owner', role: 'owner', password: PASSWORD });
    await createUser(db(), { email: STAFF, name: 'Sam Staff', role: 'staff', password: PASSWORD });
    amira = await customerSays('Amira Haddad', 'Do you ship the blue vase abroad?');
    ben = await customerSays('Ben Okafor', 'Hello, a question about the candles');
    carla = await customerSays('Carla Diaz', 'Is the shop open on Sunday?');
    dev = await customerSays('Dev Patel', 'Can I pick up my order today?');
    await running.services.workflow.addLabel(carla, 'Wholesale');
    chrome = await launchBrowser(executable);
  });

  afterEach(function () {
    const problems = chrome?.problems.splice(0) ?? [];
    assert.equal(problems.length, 0, `browser problems:\n${describeProblems(problems)}`);
  });

  after(async () => {
    await chrome?.close();
    await running?.stop();
    if (config) fs.rmSync(config.dataDir, { recursive: true, force: true });
  });

  it('should assign, label and snooze from the header, with lines appearing live in a second tab (laptop)', async () => {
    const sam = await signedIn(STAFF, LAPTOP);
    const olivia = await signedIn(OWNER, LAPTOP);
    await olivia.goto(url(`/conversations/${amira}`));
    await streaming(olivia);

    await sam.goto(url(`/conversations/${amira}`));
    await sam.locator('[data-assign-me]').click();
    await sam.locator('.head-meta', { hasText: 'assigned to Sam Staff' }).waitFor();
    await olivia.locator('.activity-line', { hasText: 'Sam Staff took the conversation' }).waitFor({ timeout: 3000 });

    // The assignee menu by keyboard: the button opens it, arrows walk it, Esc closes it onto the button.
    const assignButton = sam.locator('#assign-button');
    await assignButton.focus();
    await sam.keyboard.press('ArrowDown');
    assert.equal(await assignButton.getAttribute('aria-expanded'), 'true');
    assert.equal(await sam.evaluate(() => document.activeElement?.textContent?.trim()), 'Nobody');
    await sam.keyboard.press('ArrowDown');
    await sam.keyboard.press('ArrowDown');
    assert.match((await sam.evaluate(() => document.activeElement?.textContent?.trim())) ?? '', /Sam Staff \(me\)|Olivia Owner/);
    await sam.keyboard.press('Escape');
    assert.equal(await assignButton.getAttribute('aria-expanded'), 'false');
    assert.equal(await sam.locator('#assign-menu').isHidden(), true);
    assert.equal(await sam.evaluate(() => document.activeElement?.id), 'assign-button');
    // "More" closes on Esc too, back on its summary.
    await sam.locator('#thread-more summary').click();
    await sam.getByRole('button', { name: 'Mark pending' }).focus();
    await sam.keyboard.press('Escape');
    assert.equal(await sam.locator('#thread-more').evaluate((d: HTMLDetailsElement) => d.open), false);
    assert.equal(await sam.evaluate(() => document.activeElement?.tagName), 'SUMMARY');
    await assignButton.click();
    await navigate(sam, () => sam.locator('#assign-menu button', { hasText: 'Olivia Owner' }).click());
    await sam.locator('.head-meta', { hasText: 'assigned to Olivia Owner' }).waitFor();
    await olivia.locator('.activity-line', { hasText: 'Sam Staff assigned Olivia Owner' }).waitFor({ timeout: 3000 });

    // The label picker suggests the existing labels with their colours; typing a new one adds it.
    await sam.locator('#label-button').click();
    await sam.locator('#label-menu [data-label-name="Wholesale"] .label-dot').waitFor();
    await screenshot(sam, 'actions-label-picker-laptop.png');
    await sam.getByLabel('Find or create a label').fill('VIP');
    await sam.locator('[data-label-create]', { hasText: 'Add “VIP”' }).waitFor();
    assert.equal(await sam.locator('#label-menu [data-label-name="Wholesale"]').isHidden(), true, 'filtered by what is typed');
    await navigate(sam, () => sam.getByLabel('Find or create a label').press('Enter'));
    await sam.locator('.head-meta .label', { hasText: 'VIP' }).waitFor();
    await olivia.locator('.activity-line', { hasText: 'Sam Staff added label VIP' }).waitFor({ timeout: 3000 });
    await olivia.locator('#thread-head .label', { hasText: 'VIP' }).waitFor();

    // Snooze: a preset, then the notice says until when, with Undo; the row says when it wakes.
    await sam.locator('#snooze-button').click();
    await screenshot(sam, 'actions-snooze-menu-laptop.png');
    await navigate(sam, () => sam.locator('#snooze-menu button', { hasText: 'Tomorrow 9:00' }).click());
    const notice = sam.locator('#inbox-notice');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /Snoozed until\s+\d+ \w+ \d{4}, 09:00/);
    await olivia.locator('.activity-line', { hasText: /Sam Staff snoozed until .* 09:00/ }).waitFor({ timeout: 3000 });
    await screenshot(sam, 'actions-snoozed-notice-laptop.png');
    await screenshot(olivia, 'actions-activity-live-laptop.png');
    assert.equal(await statusOf(amira), 'snoozed');
    await navigate(sam, () => sam.getByRole('button', { name: 'Undo' }).click());
    await sam.locator('#inbox-notice', { hasText: 'Undone' }).waitFor();
    assert.equal(await statusOf(amira), 'open');
    await olivia.locator('.activity-line', { hasText: 'Sam Staff reopened' }).waitFor({ timeout: 3000 });

    // The snoozed list shows the wake-up time.
    await running!.services.workflow.snooze(dev, Date.now() + 3 * 3600_000);
    await sam.goto(url('/?status=snoozed'));
    await sam.locator(`#conv-row-${dev} .snoozed-until`, { hasText: /until \d\d:\d\d/ }).waitFor();
    await screenshot(sam, 'actions-snoozed-list-laptop.png');
    await running!.services.workflow.setStatus(dev, 'open');
    await sam.context().close();
    await olivia.context().close();
  });

  it('should undo a resolve from its notice, and keep a conversation marked unread in view (phone)', async () => {
    const sam = await signedIn(STAFF, PHONE);
    await sam.goto(url(`/conversations/${ben}`));
    await navigate(sam, () => sam.getByRole('button', { name: 'Resolve', exact: true }).click());
    await sam.locator('#inbox-notice', { hasText: 'Resolved' }).waitFor();
    assert.equal(await statusOf(ben), 'resolved');
    await screenshot(sam, 'actions-resolved-undo-phone.png');
    await navigate(sam, () => sam.getByRole('button', { name: 'Undo' }).click());
    await sam.getByRole('button', { name: 'Resolve', exact: true }).waitFor();
    assert.equal(await statusOf(ben), 'open');
    await sam.locator('.activity-line', { hasText: 'Sam Staff reopened' }).waitFor();

    // Header controls are reachable on a phone.
    await sam.locator('#snooze-button').click();
    await sam.locator('#snooze-menu button', { hasText: 'For 1 hour' }).waitFor();
    await screenshot(sam, 'actions-header-menus-phone.png');
    await sam.keyboard.press('Escape');

    await sam.locator('#thread-more summary').click();
    await navigate(sam, () => sam.getByRole('button', { name: 'Mark unread' }).click());
    const row = sam.locator(`#conv-row-${ben}`);
    await row.waitFor();
    assert.equal(await row.isVisible(), true, 'the conversation marked unread is in view');
    assert.match((await row.getAttribute('class')) ?? '', /unread/);
    await sam.locator('#inbox-notice', { hasText: 'Marked unread' }).waitFor();
    assert.equal(await sam.evaluate(() => document.activeElement?.closest('li')?.id), `conv-row-${ben}`);
    await screenshot(sam, 'actions-marked-unread-phone.png');
    // The notice goes by itself.
    await sam.locator('#inbox-notice').waitFor({ state: 'detached', timeout: 12_000 });
    await sam.context().close();
  });

  for (const [size, dims] of [
    ['laptop', LAPTOP],
    ['phone', PHONE],
  ] as const) {
    it(`should sort the list, filter it in place as you type, and show All (${size})`, async () => {
      const sam = await signedIn(STAFF, dims);
      await sam.goto(url('/'));
      await streaming(sam);
      const order = () => sam.locator('#conversation-list .conversation-row').evaluateAll((rows) => rows.map((r) => r.id));
      const newest = await order();
      await navigate(sam, () => sam.getByLabel('Sort').selectOption('oldest'));
      await sam.waitForFunction(() => document.getElementById('conversation-list')?.getAttribute('data-order') === 'asc');
      assert.deepEqual(await order(), [...newest].reverse());
      await navigate(sam, () => sam.getByLabel('Sort').selectOption('waiting'));
      assert.equal(new URL(sam.url()).searchParams.get('sort'), 'waiting');
      await screenshot(sam, `actions-sorted-waiting-${size}.png`);

      await sam.goto(url('/'));
      await streaming(sam);
      await sam.evaluate('window.__sameDocument = true');
      await sam.getByRole('searchbox', { name: 'Search messages and people' }).pressSequentially('candles', { delay: 30 });
      await sam.locator('#list-search-note', { hasText: 'matching “candles”' }).waitFor();
      assert.deepEqual(await order(), [`conv-row-${ben}`]);
      assert.equal(await sam.evaluate('window.__sameDocument'), true, 'filtered in place, not a new page');
      await screenshot(sam, `actions-search-in-place-${size}.png`);
      await sam.getByRole('link', { name: 'See all results' }).click();
      await sam.waitForURL(/\/search\?q=candles/);
      await sam.locator('main', { hasText: 'Ben Okafor' }).first().waitFor();

      await sam.goto(url('/?status=all'));
      await sam.locator('#status-tabs a[aria-current="page"]', { hasText: 'All' }).waitFor();
      await sam.context().close();
    });
  }

  it('should resolve a selection in bulk, and other tabs see it (laptop), with the bar usable on a phone', async () => {
    const sam = await signedIn(STAFF, LAPTOP);
    const olivia = await signedIn(OWNER, PHONE);
    await olivia.goto(url('/'));
    await streaming(olivia);
    await sam.goto(url('/'));
    await sam.getByLabel('Select Carla Diaz').check();
    await sam.getByLabel('Select Dev Patel').check();
    await sam.locator('[data-bulk-count]', { hasText: '2 selected' }).waitFor();
    await screenshot(sam, 'actions-bulk-selected-laptop.png');
    await navigate(sam, () => sam.locator('[data-bulk-actions]').getByRole('button', { name: 'Resolve' }).click());
    await sam.locator('#inbox-notice', { hasText: 'Resolved 2 conversations.' }).waitFor();
    assert.deepEqual([await statusOf(carla), await statusOf(dev)], ['resolved', 'resolved']);
    await sam.locator(`#conv-row-${carla}`).waitFor({ state: 'detached' });
    await olivia.locator(`#conv-row-${carla}`).waitFor({ state: 'detached', timeout: 3000 });
    await olivia.locator(`#conv-row-${dev}`).waitFor({ state: 'detached', timeout: 3000 });
    await screenshot(sam, 'actions-bulk-resolved-laptop.png');

    // On the phone: select all visible, the bar's actions fit and work (mark read).
    await olivia.getByLabel('Select all').check();
    await olivia.locator('[data-bulk-actions]').waitFor();
    await screenshot(olivia, 'actions-bulk-bar-phone.png');
    await navigate(olivia, () => olivia.locator('[data-bulk-actions]').getByRole('button', { name: 'Mark read' }).click());
    await olivia.locator('#inbox-notice', { hasText: /Marked read \d+ conversations?\./ }).waitFor();
    await sam.context().close();
    await olivia.context().close();
  });

  it('should let the owner colour labels on Settings → Labels (laptop and phone)', async () => {
    const olivia = await signedIn(OWNER, LAPTOP);
    await olivia.goto(url('/settings/labels'));
    await olivia.getByRole('heading', { name: 'Labels' }).waitFor();
    await olivia.getByLabel('Colour of Wholesale').selectOption('teal');
    await olivia
      .getByRole('row', { name: /Wholesale/ })
      .getByRole('button', { name: 'Save' })
      .click();
    await olivia.getByText('Saved “Wholesale”.').waitFor();
    await olivia.locator('.label-teal', { hasText: 'Wholesale' }).waitFor();
    await screenshot(olivia, 'actions-settings-labels-laptop.png');
    await olivia.setViewportSize(PHONE);
    await screenshot(olivia, 'actions-settings-labels-phone.png');
    await olivia.context().close();
  });
});
