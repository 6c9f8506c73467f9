// Accessibility in a real Chromium (sandbox mode): axe-core (WCAG 2.1 A and AA) over every page a
// person can open, as the owner and as staff, on a laptop (1366×800) and a phone (390×844), with no
// serious or critical finding; and the keyboard: opening a conversation puts focus on its heading, a
// live update keeps focus on a row and keeps the open "More" menu open, the thread announces new
// messages (role="log"), and single-key shortcuts can be switched off per person.
//
// The pages come from the app's own routes: every GET route is either visited here (with its
// parameters filled in) or named in NOT_PAGES with the reason, so a new page cannot be missed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createApp } from '../../src/app';
import { createPasswordReset, findUserByEmail, inviteUser } from '../../src/auth/users';
import { buildSimulatedEvent, deliverToWebhook } from '../../src/messenger/simulator';
import { start, type RunningServer } from '../../src/server';
import { entry, pageBody, postWebhook, textEvent, uniqueMid } from '../fakes/messenger-events';
import { routesOf } from '../hostile/support';
import { assertAccessible, blocking, describeFindings, runAxe, type AxeFinding } from '../support/axe';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';
import { png } from '../support/png';

const SIZES = [
  { name: 'laptop', width: 1366, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** GET routes that are not pages a person reads: files, feeds, fragments, redirects. */
const NOT_PAGES = new Map<string, string>([
  ['GET /events', 'the live stream'],
  ['GET /healthz', 'a health probe'],
  ['GET /static/*', 'static files'],
  ['GET /webhooks/messenger', "Meta's verification handshake"],
  ['GET /canned', 'JSON for the composer menu'],
  ['GET /contacts.csv', 'a CSV file'],
  ['GET /leads.csv', 'a CSV file'],
  ['GET /dashboard.json', 'JSON'],
  ['GET /dashboard/:table.csv', 'a CSV file'],
  ['GET /contacts/:contact/export', 'a ZIP file'],
  ['GET /contacts/:contact/timeline', 'a fragment (redirects to the contact page)'],
  ['GET /simulator/thread', 'a fragment of the Simulator page (checked there)'],
  ['GET /privacy/export/progress/:run', "a fragment of the Privacy page's export"],
  ['GET /privacy/backups/:backup', 'a backup file'],
  ['GET /setup', 'only before the first owner exists: checked on a fresh ChatX below'],
  ['GET /manifest.webmanifest', 'the web app manifest'],
]);

/** Pages for people who are not signed in (checked signed out; the others signed in). */
const PUBLIC_PAGES = ['/login', '/privacy', '/data-deletion/:code', '/invite/:token', '/reset/:token'];

/** Pages visited in a state of their own, beside each GET route's plain address. */
const EXTRA_STATES = ['/leads?view=table', '/?status=resolved', '/search?q=vase', '/simulator?name=Maria%20Lopez'];

// A small photo-like PNG for the customer's image.
function photoPng(width = 120, height = 90): Buffer {
  return png(width, height, (x, y) => [200 - x / 2, 120 + y / 2, 80]);
}

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('accessibility in a browser (axe-core, keyboard)', function () {
  this.timeout(180_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let dataDir: string | undefined;
  const fixtures = {} as { maria: number; jonas: number; mariaContact: number; code: string; backup: string };
  let pageRoutes: string[] = [];

  const url = (p: string) => `${server!.url}${p}`;

  /** A customer writes through the real signed webhook; resolves once ChatX has it. */
  async function customerWrites(psid: string, text: string): Promise<void> {
    const state = await server!.services.channel.state();
    const event = textEvent({ pageId: state.pageId, psid, mid: uniqueMid(), text });
    const res = await postWebhook(server!.url, pageBody([entry(state.pageId, [event])]), state.appSecret!);
    assert.equal(res.status, 200);
    await server!.services.queue.kick();
  }

  /** The Simulator's made-up customer sends a photo (as the Simulator page does). */
  async function customerSendsPhoto(name: string, text: string): Promise<void> {
    const state = await server!.services.channel.state();
    const file = { name: 'IMG_20261129_104201.png', contentType: 'image/png', data: photoPng() };
    const { body } = await buildSimulatedEvent(server!.services.db, { pageId: state.pageId, name, text, file });
    assert.equal(await deliverToWebhook(server!.url, body, state.appSecret!), 200);
    await server!.services.queue.kick();
  }

  const idOf = async (sql: string, params: number[] = []) => (await server!.services.db.get<{ id: number }>(sql, params))!.id;

  before(async function () {
    const executable = requireChromium(this);
    // The key is generated beside the data, so the owner's pages carry the key banner (and its link).
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_KEY: '' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db, workflow, leads, followUps, outbox, deletions, vault } = server.services;
    const owner = await addUser(db, 'olivia@example.com', 'owner');
    const staff = await addUser(db, 'sam@example.com', 'staff');
    await db.run("UPDATE users SET name = 'Olivia Owner' WHERE id = ?", [owner.id]);
    await db.run("UPDATE users SET name = 'Sam Staff' WHERE id = ?", [staff.id]);

    await customerWrites('7300000000000001', 'Hi! I ordered the ceramic vase last week, it arrived chipped.');
    await customerSendsPhoto('Maria Lopez', 'Here is the cake I would like for Saturday');
    fixtures.maria = await idOf(
      "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.name = 'Maria Lopez'",
    );
    fixtures.jonas = await idOf(
      "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.psid = '7300000000000001'",
    );
    fixtures.mariaContact = await idOf('SELECT contact_id AS id FROM conversations WHERE id = ?', [fixtures.maria]);
    await workflow.addLabel(fixtures.maria, 'cakes');
    await outbox.queue({
      conversationId: fixtures.maria,
      text: 'Lovely! Here is our price list.',
      sentBy: 'user',
      userId: owner.id,
    });
    await outbox.queue({
      conversationId: fixtures.maria,
      files: [{ name: 'price-list.pdf', contentType: 'application/pdf', data: Buffer.alloc(3000, 1) }],
      sentBy: 'user',
      userId: owner.id,
    });
    await outbox.kick();
    await leads.change(fixtures.mariaContact, {}, { actor: 'test' });
    await followUps.create(
      fixtures.mariaContact,
      { dueAt: Date.now() - 3600_000, note: 'Call back about the cake', ownerId: staff.id },
      { actor: 'test' },
    );
    const other = await idOf(
      "SELECT k.id FROM contacts k JOIN conversations c ON c.contact_id = k.id WHERE k.psid = '7300000000000001'",
    );
    fixtures.code = (await deletions.request(other, { source: 'api', who: { actor: 'test' } })).request.code;
    fixtures.backup = (await vault.backup('manual', { actor: 'test' })).name;

    pageRoutes = routesOf(createApp(server.services))
      .filter((r) => r.startsWith('GET ') && !r.startsWith('GET /api/') && !NOT_PAGES.has(r))
      .map((r) => r.slice(4));
    chrome = await launchBrowser(executable);
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A page's address with its parameters filled in from the fixtures; throws on one it does not know. */
  async function addressOf(route: string): Promise<string> {
    const values: Record<string, () => Promise<string> | string> = {
      conversation: () => String(fixtures.maria),
      contact: () => String(fixtures.mariaContact),
      code: () => fixtures.code,
      backup: () => fixtures.backup,
      // An invitation, or for /reset/ a password reset link of the staff member.
      token: async () =>
        route.startsWith('/reset/')
          ? (await createPasswordReset(server!.services.db, (await findUserByEmail(server!.services.db, 'sam@example.com'))!))
              .token
          : (await inviteUser(server!.services.db, { email: `new${Math.random()}@example.com`, role: 'staff' })).token,
    };
    let address = route;
    for (const [, name] of route.matchAll(/:(\w+)/g)) {
      const value = values[name];
      if (!value) throw new Error(`${route}: give the accessibility pass a value for :${name} (or list it in NOT_PAGES)`);
      address = address.replace(`:${name}`, encodeURIComponent(await value()));
    }
    return address;
  }

  /** Visits each address, runs axe, and returns what failed where (a page that is not HTML is skipped). */
  async function pass(page: Page, addresses: string[], label: string): Promise<string[]> {
    const failures: string[] = [];
    for (const address of addresses) {
      // A route that answers with a file (an export) is not a page: Chromium starts a download instead.
      const res = await page.goto(url(address)).catch((err: Error) => {
        if (/Download is starting/.test(err.message)) return null;
        throw err;
      });
      if (!res || !/text\/html/.test(res.headers()['content-type'] ?? '')) continue;
      if (!(await page.locator('html > body').count())) continue;
      const found: AxeFinding[] = blocking(await runAxe(page));
      if (found.length) failures.push(`${label} ${address} (${res.status()}):\n${describeFindings(found)}`);
    }
    return failures;
  }

  const signedInAddresses = async () => [
    ...(await Promise.all(pageRoutes.filter((r) => !PUBLIC_PAGES.includes(r)).map(addressOf))),
    ...EXTRA_STATES,
    '/no-such-page',
  ];

  it('should know every GET route: a page to check, or one named as not a page', async () => {
    const all = routesOf(createApp(server!.services)).filter((r) => r.startsWith('GET ') && !r.startsWith('GET /api/'));
    for (const route of all) if (!NOT_PAGES.has(route)) await addressOf(route.slice(4));
    assert.ok(pageRoutes.includes('/conversations/:conversation') && pageRoutes.includes('/settings/ai'));
  });

  for (const size of SIZES) {
    for (const who of [
      { role: 'owner', email: 'olivia@example.com' },
      { role: 'staff', email: 'sam@example.com' },
    ]) {
      it(`should find nothing serious on any page as ${who.role} on a ${size.name} (${size.width}×${size.height})`, async () => {
        const { page } = await chrome!.newPage({ width: size.width, height: size.height });
        await signInAs(page, server!.url, who.email);
        const failures = await pass(page, await signedInAddresses(), `${who.role}@${size.name}`);
        // The open "More" menu and the shortcuts dialog, too.
        await page.goto(url(`/conversations/${fixtures.maria}`));
        await page.locator('#thread-head details.menu summary').first().click();
        const menu = blocking(await runAxe(page));
        if (menu.length) failures.push(`${who.role}@${size.name} the open More menu:\n${describeFindings(menu)}`);
        await page.locator('#thread-head details.menu summary').first().click();
        // The header's other menus (assignee, label, snooze), each open in turn.
        for (const button of await page.locator('#thread-head [data-popover] > [aria-expanded]').all()) {
          await button.click();
          const open = blocking(await runAxe(page));
          if (open.length)
            failures.push(`${who.role}@${size.name} the menu of ${await button.innerText()}:\n${describeFindings(open)}`);
          await page.keyboard.press('Escape');
        }
        await page.locator('#thread-title').focus();
        await page.keyboard.press('?');
        await page.locator('#shortcuts[open]').waitFor();
        const dialog = blocking(await runAxe(page));
        if (dialog.length) failures.push(`${who.role}@${size.name} the shortcuts dialog:\n${describeFindings(dialog)}`);
        await screenshot(page, `a11y-conversation-${who.role}-${size.name}.png`);
        // The list with a row selected for a bulk action.
        await page.keyboard.press('Escape');
        await page.goto(url('/'));
        const pick = page.locator('#conversation-list .conversation-row input[type="checkbox"]').first();
        if (await pick.count()) {
          await pick.check();
          const bulk = blocking(await runAxe(page));
          if (bulk.length) failures.push(`${who.role}@${size.name} the list with a row selected:\n${describeFindings(bulk)}`);
          await screenshot(page, `a11y-bulk-${who.role}-${size.name}.png`);
        }
        if (who.role === 'owner') {
          await page.goto(url('/simulator?name=Maria%20Lopez'));
          await screenshot(page, `a11y-simulator-${size.name}.png`);
        }
        assert.deepEqual(failures, [], failures.join('\n\n'));
      });
    }

    it(`should find nothing serious on the public pages on a ${size.name}`, async () => {
      const { page } = await chrome!.newPage({ width: size.width, height: size.height });
      const addresses = await Promise.all(PUBLIC_PAGES.filter((r) => pageRoutes.includes(r)).map(addressOf));
      const failures = await pass(page, [...addresses, '/no-such-page'], `signed out@${size.name}`);
      await page.goto(url('/login'));
      await screenshot(page, `a11y-login-${size.name}.png`);
      assert.deepEqual(failures, [], failures.join('\n\n'));
    });
  }

  it('should find nothing serious on the first-run setup page', async () => {
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    const fresh = await start(config);
    try {
      for (const size of SIZES) {
        const { page } = await chrome!.newPage({ width: size.width, height: size.height });
        await page.goto(`${fresh.url}/setup`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await assertAccessible(page, `/setup@${size.name}`);
      }
    } finally {
      await fresh.stop();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    }
  });

  describe('by keyboard and screen reader', () => {
    let page: Page;
    const JONAS = '7300000000000001';
    const active = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return {
          tag: el?.tagName ?? '',
          id: el?.id ?? '',
          row: el?.closest('.conversation-row')?.id ?? '',
          name: el?.getAttribute('name') ?? '',
        };
      });
    /** Waits until this document's live stream is open (counted by an init script). */
    const streamOpen = () => page.waitForFunction(() => (window as unknown as { __sseOpens: number }).__sseOpens > 0);

    before(async () => {
      let context;
      ({ page, context } = await chrome!.newPage({ width: 1366, height: 800 }));
      context.setDefaultTimeout(10_000);
      await context.addInitScript(() => {
        const w = window as unknown as { __sseOpens: number };
        w.__sseOpens = 0;
        document.addEventListener('htmx:sseOpen', () => (w.__sseOpens += 1));
      });
      await signInAs(page, server!.url, 'sam@example.com');
    });

    it('should open a conversation with Enter from the list and put focus on its heading, not <body>', async () => {
      await page.goto(url('/'));
      await page.locator(`#conv-row-${fixtures.maria} a`).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(new RegExp(`/conversations/${fixtures.maria}`));
      await page.locator('#thread-title').waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'thread-title');
      assert.equal((await active()).id, 'thread-title');
      // The next Tab is the person's name in the heading: the thread's own controls come next.
      await page.keyboard.press('Tab');
      assert.match(await page.evaluate(() => document.activeElement?.className ?? ''), /contact-link/);
    });

    it('should describe images by who sent them and when, and files by name and size', async () => {
      await page.goto(url(`/conversations/${fixtures.maria}`));
      const alt = await page.locator('#messages .message-in img').first().getAttribute('alt');
      assert.match(alt ?? '', /^Photo from Maria Lopez, \d{1,2}:\d{2}/);
      assert.doesNotMatch(alt ?? '', /IMG_|\.png/);
      const file = (await page.locator('#messages .file-link').first().innerText()).trim();
      assert.match(file, /price-list\.pdf \(3 KB\)/);
    });

    it('should announce the thread politely: role="log" with aria-live="polite"', async () => {
      const log = page.locator('[role="log"]');
      assert.equal(await log.count(), 1);
      assert.equal(await log.getAttribute('aria-live'), 'polite');
      assert.equal(await log.locator('#messages').count(), 1);
      assert.equal(await page.locator('#inbox-announcer[aria-live="polite"]').count(), 1);
    });

    it('should keep focus on a list row when a live message moves it, and announce it', async () => {
      await page.goto(url('/'));
      await streamOpen();
      await page.locator(`#conv-row-${fixtures.jonas} a`).focus();
      await customerWrites(JONAS, 'Any news about the replacement vase?');
      await page.locator(`#conv-row-${fixtures.jonas} .preview`, { hasText: 'Any news about the replacement' }).waitFor();
      await page.waitForTimeout(150);
      const now = await active();
      assert.equal(now.tag, 'A');
      assert.equal(now.row, `conv-row-${fixtures.jonas}`);
      await page.waitForFunction(() => /New message from/.test(document.getElementById('inbox-announcer')?.textContent ?? ''));
      assert.match((await page.locator('#inbox-announcer').textContent()) ?? '', /Any news about the replacement vase/);
    });

    it('should keep the open More menu open, with focus in it, when a live update replaces the header', async () => {
      await page.goto(url(`/conversations/${fixtures.jonas}`));
      await streamOpen();
      await page.locator('#thread-more summary').click();
      const pending = page.locator('#thread-more').getByRole('button', { name: 'Mark pending' });
      await pending.focus();
      await page.evaluate(() => ((window as unknown as { oldHead: unknown }).oldHead = document.getElementById('thread-head')));
      await customerWrites(JONAS, 'Hello? Still there?');
      await page.locator('#messages .message', { hasText: 'Hello? Still there?' }).waitFor();
      await page.waitForTimeout(200);
      const replaced = await page.evaluate(
        () => (window as unknown as { oldHead: unknown }).oldHead !== document.getElementById('thread-head'),
      );
      assert.ok(replaced, 'the live update did not replace the header: nothing was tested');
      assert.equal(await page.locator('#thread-more').evaluate((d: HTMLDetailsElement) => d.open), true, 'the menu closed');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Mark pending');
      assert.equal(await page.evaluate(() => document.activeElement?.closest('#thread-more') !== null), true);
      await screenshot(page, 'a11y-menu-kept-open-laptop.png');
    });

    it('should keep the assignee menu open, with focus on the same person, when a live update arrives', async () => {
      await page.goto(url(`/conversations/${fixtures.jonas}`));
      await streamOpen();
      await page.locator('#assign-button').focus();
      await page.keyboard.press('ArrowDown');
      await page.locator('#assign-menu').waitFor();
      await page.keyboard.press('ArrowDown');
      const before = await page.evaluate(() => document.activeElement?.textContent?.trim());
      await customerWrites(JONAS, 'One more thing about the vase');
      await page.locator('#messages .message', { hasText: 'One more thing about the vase' }).waitFor();
      await page.waitForTimeout(200);
      assert.equal(await page.locator('#assign-menu').isVisible(), true, 'the assignee menu closed');
      assert.equal(await page.locator('#assign-button').getAttribute('aria-expanded'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), before);
      await page.keyboard.press('Escape');
    });

    it('should let a person switch single-key shortcuts off: then e resolves nothing', async () => {
      await page.goto(url('/account'));
      await page.getByLabel('Use single-key shortcuts').uncheck();
      await page.getByRole('button', { name: 'Save shortcuts' }).click();
      await page.getByText('Keyboard shortcuts switched off.').waitFor();
      await page.goto(url(`/conversations/${fixtures.jonas}`));
      await page.locator('#thread-title').focus();
      await page.keyboard.press('e');
      await page.keyboard.press('?');
      await page.waitForTimeout(500);
      const { status } = (await server!.services.db.get<{ status: string }>('SELECT status FROM conversations WHERE id = ?', [
        fixtures.jonas,
      ]))!;
      assert.equal(status, 'open');
      assert.equal(await page.locator('#shortcuts').evaluate((d: HTMLDialogElement) => d.open), false);
      // And on again: e resolves.
      await page.goto(url('/account'));
      await page.getByLabel('Use single-key shortcuts').check();
      await page.getByRole('button', { name: 'Save shortcuts' }).click();
      await page.getByText('Keyboard shortcuts switched on.').waitFor();
      await page.goto(url(`/conversations/${fixtures.jonas}`));
      await page.locator('#thread-title').focus();
      await page.keyboard.press('e');
      await page.locator('#thread-head .status-pill', { hasText: 'resolved' }).waitFor();
    });

    it('should draw focus rings and field borders at 3:1 or more, inside the scrolling list and navigation', async () => {
      await page.goto(url('/'));
      // Read in the page (plain code: helpers named inside evaluate would need the bundler's __name).
      const ring = (selector: string) =>
        page
          .locator(selector)
          .first()
          .evaluate((el: HTMLElement) => {
            el.focus();
            const style = getComputedStyle(el);
            return {
              color: style.outlineColor,
              width: parseFloat(style.outlineWidth),
              offset: parseFloat(style.outlineOffset),
              border: style.borderTopColor,
            };
          });
      const row = await ring('#conversation-list .conversation-row a');
      const nav = await ring('.mainnav a');
      const field = await ring('#inbox-search');
      const pageBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const white = 'rgb(255, 255, 255)';
      assert.ok(contrast(field.border, white) >= 3, `field border ${contrast(field.border, white).toFixed(2)}:1`);
      assert.ok(contrast(row.color, white) >= 3, `focus ring on white ${contrast(row.color, white).toFixed(2)}:1`);
      assert.ok(contrast(nav.color, pageBg) >= 3, `focus ring on the page ${contrast(nav.color, pageBg).toFixed(2)}:1`);
      assert.ok(field.width >= 2, 'a focused field shows a ring');
      assert.ok(row.offset < 0 && nav.offset < 0, 'rings in the list and navigation are drawn inside (not clipped)');
    });

    it('should keep a focused field below the sticky header on a phone', async () => {
      const { page: phone } = await chrome!.newPage({ width: 390, height: 844 });
      await signInAs(phone, server!.url, 'sam@example.com');
      await phone.goto(url('/account'));
      const field = phone.getByLabel('Current password');
      await phone.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await field.focus();
      await phone.evaluate(() => document.activeElement?.scrollIntoView());
      const headerBottom = await phone.locator('.topbar').evaluate((el) => el.getBoundingClientRect().bottom);
      const fieldTop = await field.evaluate((el) => el.getBoundingClientRect().top);
      assert.ok(fieldTop >= headerBottom, `the field (top ${fieldTop}) is under the header (bottom ${headerBottom})`);
      await screenshot(phone, 'a11y-account-phone.png');
    });
  });

  it('should have had no console errors and no CSP violations (axe runs outside the page CSP)', () => {
    // Staff opening an owner's page get a 403 page, and the made-up address a 404 page: Chromium logs
    // each as a failed load. Those are expected; anything else is not.
    const problems = chrome!.problems.filter((p) => !(p.kind === 'console-error' && /status of (403|404)/.test(p.text)));
    assert.deepEqual(problems, [], describeProblems(problems));
  });
});
