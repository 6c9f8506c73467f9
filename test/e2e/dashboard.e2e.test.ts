// The dashboard in a real Chromium: reached from the navigation, its SVG charts and tables drawn
// with nothing blocked by the CSP, the presets and a refused range, at a laptop's and a phone's
// width. Screenshots to test-output/screenshots/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { setSetting } from '../../src/settings/store';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { fillConversationFirsts } from '../support/conversation-firsts';
import { testConfig } from '../support/context';

const DAY = 86_400_000;

describe('the dashboard in a browser', function () {
  this.timeout(60_000);

  let server: RunningServer | undefined;
  let chrome: TestBrowser | undefined;
  let staff: Page;
  let dataDir: string | undefined;

  before(async function () {
    const executable = requireChromium(this);
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
    dataDir = config.dataDir;
    server = await start(config);
    const { db } = server.services;
    await addUser(db, 'owner@example.com', 'owner');
    const sam = await addUser(db, 'sam@example.com', 'staff');
    await setSetting(db, 'ai.hours', JSON.stringify({ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }));
    // Twelve people over the last four weeks: each writes, most get an answer, some are resolved,
    // every other one becomes a lead (two won).
    const now = Date.now();
    const stages = await db.all<{ id: number; name: string }>('SELECT id, name FROM lead_stages');
    const stage = (name: string) => stages.find((s) => s.name === name)!.id;
    for (let i = 1; i <= 12; i++) {
      const t = now - (i * 2 + 1) * DAY + i * 3_600_000;
      await db.run(
        "INSERT INTO contacts (id, page_id, psid, name, lead_source, created_at, updated_at) VALUES (?, 'p', ?, ?, ?, ?, ?)",
        [i, `psid${i}`, `Person ${i}`, i % 3 ? 'ad:summer' : null, t, t],
      );
      await db.run("INSERT INTO conversations (id, page_id, contact_id, created_at, updated_at) VALUES (?, 'p', ?, ?, ?)", [
        i,
        i,
        t,
        t,
      ]);
      const message = (at: number, direction: string, by: string, userId: number | null) =>
        db.run(
          `INSERT INTO messages (conversation_id, direction, kind, text, status, sent_by, sent_by_user_id, created_at, received_at)
           VALUES (?, ?, 'message', 'hello', 'sent', ?, ?, ?, ?)`,
          [i, direction, by, userId, at, at],
        );
      await message(t, 'in', 'contact', null);
      if (i % 4) await message(t + i * 600_000, 'out', i % 2 ? 'user' : 'ai', i % 2 ? sam.id : null);
      if (i % 3 === 0)
        await db.run("INSERT INTO conversation_events (conversation_id, at, kind, value) VALUES (?, ?, 'status', 'resolved')", [
          i,
          t + DAY,
        ]);
      if (i % 2 === 0)
        await db.run(
          'INSERT INTO leads (contact_id, stage_id, value_cents, created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?)',
          [i, stage(i % 4 === 0 ? 'Won' : 'New'), 25_000, t, t, i % 4 === 0 ? t + DAY : null],
        );
    }
    // Raw rows skip the writers that keep each conversation's first message and answer.
    await fillConversationFirsts(db);
    chrome = await launchBrowser(executable);
    ({ page: staff } = await chrome.newPage());
    await signInAs(staff, server.url, 'sam@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('should open from the navigation with charts and tables and no CSP violation', async () => {
    const mark = chrome!.problems.length;
    await staff.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await staff.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await staff.waitForURL(`${server!.url}/dashboard`);
    assert.equal(await staff.getByRole('img', { name: /New conversations per day/ }).count(), 1);
    assert.equal(await staff.locator('#chart-conversations-title + desc, #chart-conversations-desc').count(), 1);
    const bars = await staff.locator('svg.chart').first().locator('rect.chart-bar').count();
    assert.equal(bars, 30);
    // Every conversation chart bar has a height the SVG really draws, and its table says 12 in all.
    const total = await staff
      .locator('#table-conversations tbody td')
      .evaluateAll((cells) => cells.reduce((n, c) => n + Number(c.textContent), 0));
    assert.equal(total, 12);
    await staff.getByRole('row', { name: /sam@example.com/ }).waitFor();
    await staff.getByRole('link', { name: /Download replies per agent \(CSV\)/ }).waitFor();
    // The bars take their colour from the stylesheet (fill), not from a style attribute.
    const fill = await staff
      .locator('rect.chart-bar')
      .first()
      .evaluate((r) => getComputedStyle(r).fill);
    assert.match(fill, /rgb\(26, 95, 208\)/); // --accent (#1a5fd0)
    await screenshot(staff, 'dashboard-laptop.png');
    assert.deepEqual(chrome!.problems.slice(mark), [], describeProblems(chrome!.problems.slice(mark)));
  });

  it('should switch to weeks for the 90-day preset and refuse a backward range in place', async () => {
    const mark = chrome!.problems.length;
    await staff.getByRole('link', { name: '90 days' }).click();
    await staff.getByText(/counted per week/).waitFor();
    assert.equal(await staff.locator('svg.chart').first().locator('rect.chart-bar').count(), 13);
    await staff.getByLabel('From', { exact: true }).fill('2025-03-10');
    await staff.getByLabel('To', { exact: true }).fill('2025-03-01');
    await staff.getByRole('button', { name: 'Show' }).click();
    await staff
      .getByRole('alert')
      .getByText(/The end date is before the start date/)
      .waitFor();
    assert.equal(await staff.getByLabel('From', { exact: true }).inputValue(), '2025-03-10');
    await staff.getByRole('link', { name: 'Show the last 30 days' }).click();
    await staff.getByText(/counted per day/).waitFor();
    // The expected complaints: the browser and htmx each log the refused range's 400 answer.
    const problems = chrome!.problems
      .slice(mark)
      .filter((p) => !(p.kind === 'console-error' && /status of 400|Status Error Code 400/.test(p.text)));
    assert.deepEqual(problems, [], describeProblems(problems));
  });

  it('should fit a phone', async () => {
    const mark = chrome!.problems.length;
    const { page: phone } = await chrome!.newPage({ width: 390, height: 844 });
    await signInAs(phone, server!.url, 'sam@example.com');
    await phone.goto(`${server!.url}/dashboard`);
    await phone.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await screenshot(phone, 'dashboard-phone.png');
    assert.deepEqual(chrome!.problems.slice(mark), [], describeProblems(chrome!.problems.slice(mark)));
  });
});
