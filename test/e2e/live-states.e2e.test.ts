// Empty and stale states, and what the inbox tells a person who is not looking (issue 13, items 10
// and 11), in a real Chromium in sandbox mode: "Your inbox is ready" gives way to the first
// conversation as it arrives; the Simulator's phone shows the customer named in its form, photos as
// thumbnails; paragraph breaks survive everywhere a message is shown; the composer says when it
// writes a note. Notifications: new messages and "assigned to you" (by someone else), the unread
// count in the title and the sound switch, with window.Notification and AudioContext replaced by
// recorders in the test's own init script (the product has no test hooks).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createUser, setPrefs } from '../../src/auth/users';
import type { Config } from '../../src/config';
import { buildSimulatedEvent, deliverToWebhook } from '../../src/messenger/simulator';
import { start, type RunningServer } from '../../src/server';
import { PASSWORD } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { tempDir, testConfig } from '../support/context';
import { png } from '../support/png';

const OWNER = 'olivia@example.com';
const STAFF = 'sam@example.com';
const CAKE = 'First paragraph: a birthday cake for Saturday.\n\nSecond paragraph: can I pick it up on Friday?';

/** Records notifications, permission requests and beeps; `__hidden` plays a tab in the background. */
const RECORDERS = `(() => {
  window.__notes = [];
  window.__beeps = 0;
  window.__asked = 0;
  window.__sseOpens = 0;
  document.addEventListener('htmx:sseOpen', function () {
    window.__sseOpens += 1;
  });
  class RecordedNotification {
    constructor(title, options) {
      window.__notes.push({ title: title, body: options && options.body, tag: options && options.tag });
    }
    static get permission() {
      return window.__permission || 'granted';
    }
    static requestPermission() {
      window.__asked += 1;
      window.__permission = 'granted';
      return Promise.resolve('granted');
    }
  }
  window.Notification = RecordedNotification;
  function RecordedAudio() {
    window.__beeps += 1;
  }
  RecordedAudio.prototype.createOscillator = function () {
    return { frequency: {}, connect: function (next) { return next; }, start: function () {}, stop: function () {} };
  };
  RecordedAudio.prototype.createGain = function () {
    return { gain: { setValueAtTime: function () {}, exponentialRampToValueAtTime: function () {} }, connect: function (next) { return next; } };
  };
  window.AudioContext = RecordedAudio;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: function () { return !!window.__hidden; } });
})();`;

interface Note {
  title: string;
  body?: string;
  tag?: string;
}

describe('empty states, the Simulator and notifications in a browser (sandbox mode)', function () {
  this.timeout(60_000);

  let config: Config;
  let running: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let ownerId: number;
  let samId: number;
  let photo: string;
  const url = (p: string) => `${running!.url}${p}`;
  const db = () => running!.services.db;

  /** A made-up customer writes, through the real signed webhook (as the Simulator does). */
  async function customerSays(name: string, text: string): Promise<void> {
    const state = await running!.services.channel.state();
    const { body } = await buildSimulatedEvent(db(), { pageId: state.pageId, name, text });
    assert.equal(await deliverToWebhook(running!.url, body, state.appSecret!), 200);
  }

  async function conversationOf(name: string): Promise<number> {
    const row = await db().get<{ id: number }>(
      'SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.name = ?',
      [name],
    );
    assert.ok(row, `no conversation for ${name}`);
    return row.id;
  }

  async function signedIn(email: string, size: { width: number; height: number }): Promise<Page> {
    const { context, page } = await chrome!.newPage(size);
    context.setDefaultTimeout(10_000);
    await context.grantPermissions(['notifications'], { origin: running!.url });
    await context.addInitScript({ content: RECORDERS });
    await signInAs(page, url(''), email);
    return page;
  }

  const notes = (page: Page) => page.evaluate('window.__notes') as Promise<Note[]>;
  const beeps = (page: Page) => page.evaluate('window.__beeps') as Promise<number>;
  /** Waits until this document's live stream is open (counted by the recorders' init script). */
  const streaming = (page: Page) => page.waitForFunction(() => (window as unknown as { __sseOpens: number }).__sseOpens > 0);

  before(async function () {
    const executable = requireChromium(this);
    config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    running = await start(config);
    ownerId = (await createUser(db(), { email: OWNER, name: 'Olivia Owner', role: 'owner', password: PASSWORD })).id;
    samId = (await createUser(db(), { email: STAFF, name: 'Sam Staff', role: 'staff', password: PASSWORD })).id;
    await setPrefs(db(), samId, { notify: 'on', sound: 'on' });
    const files = tempDir('chatx-e2e-live-states-');
    photo = path.join(files, 'cake.png');
    fs.writeFileSync(
      photo,
      png(64, 48, () => [0x90, 0x90, 0x90]),
    );
    chrome = await launchBrowser(executable);
  });

  after(async () => {
    await chrome?.close();
    await running?.stop();
    fs.rmSync(config.dataDir, { recursive: true, force: true });
    if (photo) fs.rmSync(path.dirname(photo), { recursive: true, force: true });
  });

  describe('empty and stale states', () => {
    it('should replace "Your inbox is ready" with the first conversation as it arrives, without a reload (phone and laptop)', async () => {
      const laptop = await signedIn(OWNER, { width: 1366, height: 800 });
      const phone = await signedIn(OWNER, { width: 390, height: 844 });
      for (const page of [laptop, phone]) {
        await page.getByRole('heading', { name: 'Your inbox is ready' }).waitFor();
        await streaming(page);
        await page.evaluate('window.__sameDocument = true');
      }
      await customerSays('Zoë Müller', CAKE);
      for (const page of [laptop, phone]) {
        await page.locator('.conversation-row', { hasText: 'Zoë Müller' }).waitFor({ timeout: 3000 });
        await page.getByRole('heading', { name: 'Your inbox is ready' }).waitFor({ state: 'detached', timeout: 3000 });
        assert.equal(await page.evaluate('window.__sameDocument'), true, 'the page was reloaded');
      }
      assert.equal(await phone.locator('.conversation-row', { hasText: 'Zoë Müller' }).isVisible(), true);
      await screenshot(laptop, 'first-conversation-live-laptop.png');
      await screenshot(phone, 'first-conversation-live-phone.png');
      await laptop.context().close();
      await phone.context().close();
    });

    it('should keep paragraph breaks in the inbox, the Simulator, search results and the contact timeline', async () => {
      const page = await signedIn(OWNER, { width: 1366, height: 800 });
      const broken = /Saturday\.\n\s*\nSecond paragraph/;
      await page.goto(url(`/conversations/${await conversationOf('Zoë Müller')}`));
      assert.match(await page.locator('.message .text').first().innerText(), broken, 'inbox');
      await page.goto(url(`/simulator?name=${encodeURIComponent('Zoë Müller')}`));
      assert.match(await page.locator('.phone-text').first().innerText(), broken, 'simulator');
      await page.goto(url('/search?q=birthday'));
      assert.match(await page.locator('.search-hits .preview').first().innerText(), /Saturday\.\n+\s*Second paragraph/, 'search');
      const contact = await db().get<{ id: number }>("SELECT id FROM contacts WHERE name = 'Zoë Müller'");
      await page.goto(url(`/contacts/${contact!.id}`));
      assert.match(await page.locator('.timeline-text', { hasText: 'birthday' }).first().innerText(), broken, 'timeline');
      await screenshot(page, 'paragraphs-timeline-laptop.png');
      await page.context().close();
    });

    it('should show on the Simulator phone the customer named in its form, and switch as another is chosen', async () => {
      await customerSays('Ben Okafor', 'Hello, is the shop open on Sunday?');
      const page = await signedIn(OWNER, { width: 1366, height: 800 });
      await page.goto(url('/simulator'));
      // No name asked for: the latest customer, in the field and on the phone alike.
      assert.equal(await page.getByLabel('Customer name').inputValue(), 'Ben Okafor');
      assert.match(await page.locator('.phone-title').innerText(), /^Ben Okafor/);
      await page.locator('.phone-message', { hasText: 'open on Sunday' }).waitFor();
      // Another customer typed into the field: the phone follows.
      await page.getByLabel('Customer name').fill('Zoë Müller');
      await page.locator('.phone-title', { hasText: 'Zoë Müller' }).waitFor({ timeout: 3000 });
      await page.locator('.phone-message', { hasText: 'birthday cake' }).waitFor();
      assert.equal(await page.locator('.phone-message', { hasText: 'open on Sunday' }).count(), 0);
      // A name nobody used yet: an empty phone for that name, not the last one's thread.
      await page.getByLabel('Customer name').fill('Nobody Yet');
      await page.locator('.phone-title', { hasText: 'Nobody Yet' }).waitFor({ timeout: 3000 });
      assert.equal(await page.locator('.phone-message').count(), 0);
      await page.getByRole('link', { name: 'Ben Okafor' }).click();
      await page.locator('.phone-title', { hasText: 'Ben Okafor' }).waitFor();
      assert.equal(await page.getByLabel('Customer name').inputValue(), 'Ben Okafor');
      await page.context().close();
    });

    it('should show a photo as a thumbnail on the Simulator phone (laptop and phone)', async () => {
      for (const size of [
        { width: 1366, height: 800 },
        { width: 390, height: 844 },
      ]) {
        const page = await signedIn(OWNER, size);
        await page.goto(url(`/simulator?name=${encodeURIComponent('Zoë Müller')}`));
        if (size.width > 400) {
          await page.getByLabel('Message').fill('Like this one?');
          await page.getByLabel('File (optional)').setInputFiles(photo);
          await page.getByRole('button', { name: 'Send as customer' }).click();
        }
        const thumb = page.locator('.phone-image img').first();
        await thumb.waitFor({ timeout: 8000 });
        await page.waitForFunction(() => {
          const img = document.querySelector('.phone-image img') as HTMLImageElement | null;
          return !!img && img.complete && img.naturalWidth === 64;
        });
        const box = (await thumb.boundingBox())!;
        assert.ok(box.width > 0 && box.width <= size.width, `the thumbnail is ${box.width}px wide`);
        await screenshot(page, `simulator-thumbnail-${size.width > 400 ? 'laptop' : 'phone'}.png`);
        await page.context().close();
      }
    });

    it('should say in the composer when a private note is being written', async () => {
      const page = await signedIn(OWNER, { width: 390, height: 844 });
      await page.goto(url(`/conversations/${await conversationOf('Zoë Müller')}`));
      const box = page.locator('#composer-text');
      assert.match((await box.getAttribute('placeholder'))!, /^Write a reply/);
      await page.getByLabel('Private note').check();
      assert.match((await box.getAttribute('placeholder'))!, /private note/i);
      assert.match((await box.getAttribute('placeholder'))!, /not sent to the customer/);
      await box.focus();
      await screenshot(page, 'composer-note-phone.png');
      await page.getByRole('radio', { name: 'Reply' }).check();
      assert.match((await box.getAttribute('placeholder'))!, /^Write a reply/);
      await page.context().close();
    });
  });

  describe('notifications', () => {
    let sam: Page;

    before(async () => {
      sam = await signedIn(STAFF, { width: 1366, height: 800 });
      await sam.goto(url('/'));
      await streaming(sam);
    });
    after(async () => {
      await sam?.context().close();
    });

    it('should beep for a new message while the tab is in view, and notify only when it is in the background', async () => {
      const before = await beeps(sam);
      await customerSays('Ben Okafor', 'Are you there?');
      await sam.waitForFunction((n) => (window as unknown as { __beeps: number }).__beeps > n, before, { timeout: 3000 });
      assert.deepEqual(await notes(sam), [], 'a notification while the inbox is in view');
      await sam.evaluate('window.__hidden = true');
      await customerSays('Zoë Müller', 'One more thing: candles included?');
      await sam.waitForFunction(() => (window as unknown as { __notes: Note[] }).__notes.length > 0, undefined, {
        timeout: 3000,
      });
      const [note] = await notes(sam);
      assert.equal(note.title, 'New message from Zoë Müller');
      assert.match(note.body!, /candles included/);
      // The unread count stays in the tab title.
      await sam.waitForFunction(() => /^\(\d+\) /.test(document.title), undefined, { timeout: 3000 });
    });

    it('should notify when someone else assigns a conversation to me, live, and not when I take one myself, here or elsewhere', async () => {
      await sam.evaluate('window.__hidden = false; window.__notes = []');
      const ben = await conversationOf('Ben Okafor');
      await running!.services.workflow.assign(ben, samId, ownerId);
      await sam.waitForFunction(() => (window as unknown as { __notes: Note[] }).__notes.length > 0, undefined, {
        timeout: 3000,
      });
      const [note] = await notes(sam);
      assert.equal(note.title, 'Assigned to you: Ben Okafor');
      assert.equal(note.tag, `chatx-assigned-${ben}`);
      // Assigned to somebody else: nothing for Sam.
      const zoe = await conversationOf('Zoë Müller');
      await running!.services.workflow.assign(zoe, ownerId, ownerId);
      await sam.locator(`#conv-row-${zoe}[data-assignee-id="${ownerId}"]`).waitFor({ timeout: 3000 });
      // Sam takes Zoë's conversation with "Assign to me": his own doing, no notification.
      await sam.locator(`#conv-row-${zoe} a`).click();
      await sam.locator('[data-assign-me]').click();
      await sam.locator(`#conv-row-${zoe}[data-assignee-id="${samId}"]`).waitFor({ timeout: 3000 });
      // Sam takes Ben's back from another device (no click in this browser): still his own doing.
      await running!.services.workflow.assign(ben, ownerId, ownerId);
      await sam.locator(`#conv-row-${ben}[data-assignee-id="${ownerId}"]`).waitFor({ timeout: 3000 });
      await running!.services.workflow.assign(ben, samId, samId);
      await sam.locator(`#conv-row-${ben}[data-assignee-id="${samId}"][data-assigned-by="${samId}"]`).waitFor({ timeout: 3000 });
      await sam.waitForTimeout(500);
      assert.deepEqual(
        (await notes(sam)).map((n) => n.title),
        ['Assigned to you: Ben Okafor'],
      );
      await screenshot(sam, 'notifications-assigned-laptop.png');
    });

    it('should stay quiet when the sound is switched off on the account page', async () => {
      await setPrefs(db(), samId, { sound: 'off' });
      await sam.goto(url('/'));
      await streaming(sam);
      const before = await beeps(sam);
      await customerSays('Ben Okafor', 'Hello again');
      await sam.locator('.conversation-row', { hasText: 'Hello again' }).waitFor({ timeout: 3000 });
      await sam.waitForTimeout(300);
      assert.equal(await beeps(sam), before);
    });

    it('should ask for the browser permission only after a click', async () => {
      const { context, page } = await chrome!.newPage({ width: 390, height: 844 });
      await context.addInitScript({ content: "window.__permission = 'default';" });
      await context.addInitScript({ content: RECORDERS });
      await signInAs(page, url(''), STAFF);
      await page.goto(url('/account'));
      assert.equal(await page.evaluate('window.__asked'), 0, 'asked without a click');
      const notify = page.getByLabel('Show a browser notification');
      await notify.uncheck();
      await notify.check();
      await page.waitForFunction(() => (window as unknown as { __asked: number }).__asked === 1);
      await screenshot(page, 'account-notifications-phone.png');
      await context.close();
    });
  });

  describe('throughout', () => {
    it('should have had no console errors and no CSP violations', () => {
      assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
    });
  });
});
