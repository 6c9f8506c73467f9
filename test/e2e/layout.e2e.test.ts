// The layout on a phone (390×844) and a laptop (1366×800), measured in a real Chromium (issue 13,
// items 2 and 3). Before: on the phone a conversation opened 1,600 px above its composer and the
// navigation plus the key banner took 284 px; on the laptop 317 px of 800 were left for messages,
// the thread was 418 px wide and the page 44 px taller than the window. Now the inbox is one screen:
// the list and the thread scroll inside it, the composer stays on screen and compact until used.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createUser } from '../../src/auth/users';
import type { Config } from '../../src/config';
import { start, type RunningServer } from '../../src/server';
import { entry, pageBody, postWebhook, textEvent, uniqueMid } from '../fakes/graph';
import { PASSWORD } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const APP_SECRET = 'e2e-layout-app-secret-0123456789abcdef';
const OWNER = 'olivia@example.com';
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 800 };

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  width: number;
  height: number;
}

/**
 * The boxes and scroll sizes a layout is judged by, measured in the page. Plain JavaScript in a string:
 * the test runner's compiler would wrap named functions in a helper the page does not have.
 */
const MEASURE = `(() => {
  function box(selector) {
    const el = document.querySelector(selector);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
  }
  const messages = document.getElementById('messages');
  const last = messages ? messages.querySelector('.message:last-of-type') : null;
  return {
    innerHeight: window.innerHeight,
    innerWidth: window.innerWidth,
    scrollHeight: document.documentElement.scrollHeight,
    scrollWidth: document.documentElement.scrollWidth,
    scrollY: window.scrollY,
    topbar: box('.topbar'),
    nav: box('.mainnav'),
    account: box('.usermenu a[href="/account"]'),
    banners: Array.from(document.querySelectorAll('.banner')).map((b) => b.getBoundingClientRect().height),
    list: box('.inbox-list'),
    messages: box('#messages'),
    messagesScroll: messages ? { scrollHeight: messages.scrollHeight, clientHeight: messages.clientHeight } : null,
    last: last ? box('#' + last.id) : null,
    composer: box('#composer'),
    textarea: box('#composer-text'),
    panel: box('.contact-panel'),
  };
})()`;

interface Measured {
  innerHeight: number;
  innerWidth: number;
  scrollHeight: number;
  scrollWidth: number;
  scrollY: number;
  topbar: Box;
  nav: Box;
  account: Box | null;
  banners: number[];
  list: Box | null;
  messages: Box | null;
  messagesScroll: { scrollHeight: number; clientHeight: number } | null;
  last: Box | null;
  composer: Box | null;
  textarea: Box | null;
  panel: Box | null;
}

function measure(page: Page): Promise<Measured> {
  return page.evaluate(MEASURE) as Promise<Measured>;
}

describe('the layout on a phone and a laptop', function () {
  this.timeout(60_000);

  let config: Config;
  let running: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let conversationId: number;
  const url = (p: string) => `${running!.url}${p}`;

  async function say(psid: string, text: string, timestamp: number): Promise<void> {
    const body = pageBody([entry('sandbox', [textEvent({ pageId: 'sandbox', psid, mid: uniqueMid(), text, timestamp })])]);
    const res = await postWebhook(running!.url, body, APP_SECRET);
    assert.equal(res.status, 200, res.text);
  }

  async function signedIn(size: { width: number; height: number }): Promise<Page> {
    const { page } = await chrome!.newPage(size);
    await signInAs(page, url(''), OWNER);
    return page;
  }

  before(async function () {
    const executable = requireChromium(this);
    // DATABASE_KEY unset: ChatX keeps a generated key beside the data, so the owner sees the key banner too.
    config = testConfig({ PORT: '0', HOST: '127.0.0.1', FB_APP_SECRET: APP_SECRET, DATABASE_KEY: '' });
    running = await start(config);
    const { db } = running.services;
    await createUser(db, { email: OWNER, name: 'Olivia Owner', role: 'owner', password: PASSWORD });
    for (const [i, name] of ['Sam Staff', 'Priya Natarajan-Oyelaran', 'Tomasz Wiśniewski'].entries())
      await createUser(db, { email: `staff${i}.with.a.long.address@example.com`, name, role: 'staff', password: PASSWORD });
    const start0 = Date.now() - 60 * 60_000;
    for (let i = 1; i <= 40; i++)
      await say(
        '7200000000000001',
        `Message ${i}: is the blue vase back in stock?\n\nAsking for a friend (${i}).`,
        start0 + i * 60_000,
      );
    await say('7200000000000002', 'Do you deliver on Saturdays?', start0);
    const row = await db.get<{ id: number }>(
      "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.psid = '7200000000000001'",
    );
    conversationId = row!.id;
    chrome = await launchBrowser(executable);
  });

  after(async () => {
    await chrome?.close();
    await running?.stop();
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  });

  describe('on a phone (390×844)', () => {
    it('should open a conversation at the newest message with the composer on screen, under a compact header', async () => {
      const page = await signedIn(PHONE);
      await page.goto(url(`/conversations/${conversationId}`));
      await page.locator('#messages .message').last().waitFor();
      const m = await measure(page);
      // One screen: the page itself does not scroll; the messages do, inside.
      assert.ok(m.scrollHeight <= m.innerHeight, `the page is ${m.scrollHeight}px tall in an ${m.innerHeight}px window`);
      assert.equal(m.scrollY, 0);
      assert.ok(m.messagesScroll!.scrollHeight > m.messagesScroll!.clientHeight, 'the messages should scroll inside');
      // The composer is on screen without scrolling, at the bottom.
      assert.ok(
        m.textarea!.top >= 0 && m.textarea!.bottom <= m.innerHeight,
        `composer at ${m.textarea!.top}–${m.textarea!.bottom}px`,
      );
      assert.ok(
        m.composer!.bottom >= m.innerHeight - 2,
        `the composer ends ${m.innerHeight - m.composer!.bottom}px above the bottom`,
      );
      // The newest message is in view, just above the composer.
      await page.waitForFunction(() => {
        const list = document.getElementById('messages')!;
        return list.scrollHeight - list.scrollTop - list.clientHeight < 2;
      });
      const after = await measure(page);
      assert.ok(
        after.last!.bottom <= after.messages!.bottom + 1 && after.last!.top >= after.messages!.top,
        'the newest message is not in view',
      );
      // A compact header: the top bar was 173 px (the navigation wrapped onto three lines).
      assert.ok(m.topbar.height <= 90, `the top bar is ${m.topbar.height}px tall`);
      assert.ok(
        m.banners.every((h) => h <= 100),
        `banners of ${m.banners.join(', ')}px`,
      );
      assert.ok(m.messages!.height >= 300, `only ${m.messages!.height}px for messages`);
      assert.ok(m.scrollWidth <= m.innerWidth, `the page scrolls sideways by ${m.scrollWidth - m.innerWidth}px`);
      await screenshot(page, 'layout-conversation-phone.png');
      await page.context().close();
    });

    it('should keep the navigation on one line that scrolls sideways, and the account page one tap away', async () => {
      const page = await signedIn(PHONE);
      const m = await measure(page);
      assert.ok(m.nav.height <= 44, `the navigation is ${m.nav.height}px tall`);
      const nav = await page.locator('.mainnav').evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
      assert.ok(nav.scrollWidth > nav.clientWidth, 'all links fit: nothing to scroll (then this test should say so)');
      // The last link is reachable by scrolling the strip, not the page.
      const simulator = page.locator('.mainnav a', { hasText: 'Simulator' });
      await simulator.scrollIntoViewIfNeeded();
      const box = (await simulator.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `Simulator link at ${box.x}px`);
      // The account page is reachable from the header.
      assert.ok(m.account, 'no account link in the header');
      assert.ok(
        m.account.width > 0 && m.account.right <= PHONE.width && m.account.bottom <= m.topbar.bottom,
        'the account link is hidden',
      );
      await page.locator('.usermenu a[href="/account"]').click();
      await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
      await page.context().close();
    });

    it('should show the list as one screen, scrolling inside', async () => {
      const page = await signedIn(PHONE);
      await page.goto(url('/'));
      const m = await measure(page);
      assert.ok(m.scrollHeight <= m.innerHeight, `the list page is ${m.scrollHeight}px tall`);
      assert.ok(m.list!.bottom <= m.innerHeight + 1 && m.list!.height > 400, `the list is ${m.list!.height}px tall`);
      await screenshot(page, 'layout-list-phone.png');
      await page.context().close();
    });

    it('should fit the Users table: every Disable and Remove button on screen, no sideways scrolling', async () => {
      const page = await signedIn(PHONE);
      await page.goto(url('/users'));
      const buttons = page.locator('td.actions-cell button');
      assert.ok((await buttons.count()) >= 6);
      for (const button of await buttons.all()) {
        await button.scrollIntoViewIfNeeded();
        const box = (await button.boundingBox())!;
        assert.ok(
          box.x >= 0 && box.x + box.width <= PHONE.width,
          `${await button.innerText()} at ${box.x}–${box.x + box.width}px`,
        );
      }
      const scroll = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        table: Math.max(...[...document.querySelectorAll('.table-wrap')].map((w) => w.scrollWidth - w.clientWidth)),
      }));
      assert.ok(scroll.page <= PHONE.width, `the page is ${scroll.page}px wide`);
      assert.ok(scroll.table <= 0, `the table scrolls sideways by ${scroll.table}px`);
      // The strip of links shows the current page's link (Users is past the edge at 390 px).
      const users = (await page.locator('.mainnav a[aria-current="page"]').boundingBox())!;
      assert.ok(users.x >= 0 && users.x + users.width <= PHONE.width, `the current link is at ${users.x}px`);
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, 'layout-users-phone.png');
      await page.context().close();
    });
  });

  describe('on a laptop (1366×800)', () => {
    it('should give the thread most of the width and height, with one scroll area', async () => {
      const page = await signedIn(LAPTOP);
      await page.goto(url(`/conversations/${conversationId}`));
      await page.locator('#messages .message').last().waitFor();
      const m = await measure(page);
      await screenshot(page, 'layout-conversation-laptop.png');
      assert.ok(m.scrollHeight <= m.innerHeight, `the page is ${m.scrollHeight - m.innerHeight}px taller than the window`);
      assert.ok(m.messagesScroll!.scrollHeight > m.messagesScroll!.clientHeight, 'the messages should scroll inside');
      assert.ok(m.messages!.height >= 450, `only ${m.messages!.height}px of ${m.innerHeight} for messages (was 317)`);
      assert.ok(m.messages!.width >= 0.5 * m.innerWidth, `the thread is ${m.messages!.width}px wide (was 418)`);
      assert.ok(
        m.messages!.width > m.list!.width && m.messages!.width > (m.panel?.width ?? 0),
        'the thread is not the widest column',
      );
      assert.ok(m.composer!.bottom <= m.innerHeight, 'the composer is below the window');
      await page.context().close();
    });

    it('should keep the composer compact until it is focused, then give it room', async () => {
      const page = await signedIn(LAPTOP);
      await page.goto(url(`/conversations/${conversationId}`));
      const before = await measure(page);
      assert.ok(before.textarea!.height <= 48, `the idle composer box is ${before.textarea!.height}px tall`);
      assert.ok(before.composer!.height <= 130, `the idle composer is ${before.composer!.height}px tall (was 257)`);
      await page.locator('#composer-text').focus();
      await page.waitForFunction(() => document.getElementById('composer-text')!.getBoundingClientRect().height >= 100);
      await page.locator('#composer-text').fill('Yes, it is back.\nShall I put one aside?');
      await page.locator('#composer-text').evaluate((el) => (el as HTMLElement).blur()); // focus leaves; the text keeps the room
      const typed = await measure(page);
      assert.ok(typed.textarea!.height >= 100, `with text the box is ${typed.textarea!.height}px tall`);
      assert.ok(typed.scrollHeight <= typed.innerHeight, 'the grown composer made the page scroll');
      await screenshot(page, 'layout-composer-laptop.png');
      await page.context().close();
    });

    it('should show the list page as one screen too', async () => {
      const page = await signedIn(LAPTOP);
      await page.goto(url('/'));
      const m = await measure(page);
      assert.ok(m.scrollHeight <= m.innerHeight, `the page is ${m.scrollHeight - m.innerHeight}px taller than the window`);
      assert.ok(m.list!.bottom <= m.innerHeight, `the list runs below the window: ${JSON.stringify(m.list)}`);
      await screenshot(page, 'layout-list-laptop.png');
      await page.context().close();
    });
  });

  describe('throughout', () => {
    it('should have had no console errors and no CSP violations', () => {
      assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
    });
  });
});
