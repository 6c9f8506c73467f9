// The AI in the inbox in a real Chromium (sandbox mode; the provider is the fake OpenAI server, in
// suggest mode): a draft waiting in the composer when the conversation opens, dismissed; the next
// draft arriving live into the empty composer, edited and sent with Enter; Alt+S and Summarize; and,
// in a second person's tab, the "needs a person" toast and list badge appearing live when a customer
// asks for a real person (the AI hands over without calling the model). No CSP violations.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { setSetting } from '../../src/settings/store';
import { startOpenAiFake, type AiFake } from '../fakes/ai';
import { entry, pageBody, postWebhook, textEvent, uniqueMid } from '../fakes/messenger-events';
import { addUser } from '../support/browser-session';
import { describeProblems, launchBrowser, requireChromium, screenshot, signInAs, type TestBrowser } from '../support/browser';
import { testConfig } from '../support/context';

const KEY = 'sk-e2e-0123456789';
const ANA = { psid: '7800000000000001', name: 'Ana Lima' };
const BRUNO = { psid: '7800000000000002', name: 'Bruno Costa' };
const reply = (text: string) => JSON.stringify({ reply: text, needs_person: false, reason: '' });

describe('the AI in the inbox, in a browser (suggest mode, fake OpenAI)', function () {
  this.timeout(60_000);

  let server: RunningServer | undefined;
  let ai: AiFake | undefined;
  let chrome: TestBrowser | undefined;
  let staff: Page;
  let owner: Page;
  let anaId: number;
  let dataDir: string | undefined;

  const url = (p: string) => `${server!.url}${p}`;
  const db = () => server!.services.db;

  /** A customer writes through the signed webhook; resolves once ChatX has committed it. */
  async function say(who: { psid: string }, text: string): Promise<void> {
    const state = await server!.services.channel.state();
    const event = textEvent({ pageId: state.pageId, psid: who.psid, mid: uniqueMid(), text });
    const res = await postWebhook(server!.url, pageBody([entry(state.pageId, [event])]), state.appSecret!);
    assert.equal(res.status, 200, res.text);
  }

  async function conversationOf(who: { psid: string }): Promise<number> {
    const row = await db().get<{ id: number }>(
      'SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.psid = ?',
      [who.psid],
    );
    assert.ok(row);
    return row.id;
  }

  async function until(what: string, check: () => Promise<unknown>, ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Counts the live connections each document opens, so a test can wait for its stream. */
  async function watch(context: BrowserContext): Promise<void> {
    context.setDefaultTimeout(10_000);
    await context.addInitScript(() => {
      const w = window as unknown as { __sseOpens: number };
      w.__sseOpens = 0;
      document.addEventListener('htmx:sseOpen', () => (w.__sseOpens += 1));
    });
  }
  const streamOpen = (p: Page) => p.waitForFunction(() => (window as unknown as { __sseOpens: number }).__sseOpens > 0);

  before(async function () {
    const executable = requireChromium(this);
    ai = await startOpenAiFake({ apiKey: KEY });
    const config = testConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AI_PROVIDER: 'openai',
      AI_MODE: 'suggest',
      AI_DEBOUNCE_MS: '0',
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: ai.url,
    });
    dataDir = config.dataDir;
    server = await start(config);
    await addUser(db(), 'olivia@example.com', 'owner');
    await addUser(db(), 'sam@example.com', 'staff');
    // Sandbox mode: the profile lookup reads the names the Simulator would have registered.
    for (const who of [ANA, BRUNO]) await setSetting(db(), `sandbox.profile.${who.psid}`, who.name);

    ai.script({ text: reply('Hi Ana! Yes, we bake gluten-free cakes to order.') });
    await say(ANA, 'Hi! Do you make gluten-free cakes?');
    anaId = await conversationOf(ANA);
    await until('the first draft', () => db().get('SELECT 1 FROM ai_drafts WHERE conversation_id = ?', [anaId]));

    chrome = await launchBrowser(executable);
    let context: BrowserContext;
    ({ context, page: staff } = await chrome.newPage());
    await watch(context);
    ({ context, page: owner } = await chrome.newPage());
    await watch(context);
    await signInAs(staff, server.url, 'sam@example.com');
    await signInAs(owner, server.url, 'olivia@example.com');
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    await ai?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('should show the waiting draft in the composer when the conversation opens, and dismiss it', async () => {
    await staff.goto(url(`/conversations/${anaId}`));
    await streamOpen(staff);
    const composer = staff.locator('#composer-text');
    assert.equal(await composer.inputValue(), 'Hi Ana! Yes, we bake gluten-free cakes to order.');
    await staff.locator('#ai-draft').getByText('edit before sending').waitFor();
    await screenshot(staff, 'ai-draft-waiting.png');

    await staff.locator('#ai-draft').getByRole('button', { name: 'Dismiss' }).click();
    await staff.locator('#ai-draft[data-state="none"]').waitFor({ state: 'attached' });
    assert.equal(await composer.inputValue(), '');
    await until(
      'the draft row to go',
      async () => !(await db().get('SELECT 1 FROM ai_drafts WHERE conversation_id = ?', [anaId])),
    );
  });

  it('should bring the next draft live into the empty composer; edited and sent with Enter, it shows in the thread', async () => {
    ai!.script({ text: reply('We can deliver on Saturday morning.') });
    await say(ANA, 'Great, can you deliver it on Saturday?');
    const composer = staff.locator('#composer-text');
    await staff.waitForFunction(
      () => (document.querySelector('#composer-text') as HTMLTextAreaElement).value === 'We can deliver on Saturday morning.',
    );
    await staff.locator('#ai-draft').getByText('AI draft').waitFor();
    await screenshot(staff, 'ai-draft-live.png');

    await composer.click();
    await composer.press('End');
    await composer.pressSequentially(' See you then, Ana!');
    await composer.press('Enter');
    const sent = staff.locator('#messages .message-out', { hasText: 'We can deliver on Saturday morning. See you then, Ana!' });
    await sent.waitFor();
    assert.equal(await composer.inputValue(), '');
    assert.equal(await db().get('SELECT 1 FROM ai_drafts WHERE conversation_id = ?', [anaId]), undefined);
    const out = await db().get<{ sent_by: string; text: string }>(
      "SELECT sent_by, text FROM messages WHERE conversation_id = ? AND direction = 'out' ORDER BY id DESC LIMIT 1",
      [anaId],
    );
    assert.deepEqual(out, { sent_by: 'user', text: 'We can deliver on Saturday morning. See you then, Ana!' });
  });

  it('should never overwrite what someone is typing: a live draft waits behind "use it"', async () => {
    await staff.locator('#composer-text').fill('I am writing this myself');
    // A person answered, so the reply job stays quiet: the suggestion is asked for from another tab.
    ai!.script({ text: reply('Anything else I can help with?') });
    const res = await owner.request.post(url(`/conversations/${anaId}/ai/suggest`), {
      headers: { 'X-CSRF-Token': await csrfOf(owner), Accept: 'application/json' },
    });
    assert.equal(res.status(), 200);
    const use = staff.locator('#ai-draft').getByRole('button', { name: 'A new draft is ready — use it' });
    await use.waitFor();
    assert.equal(await staff.locator('#composer-text').inputValue(), 'I am writing this myself');
    await use.click();
    assert.equal(await staff.locator('#composer-text').inputValue(), 'Anything else I can help with?');
  });

  it('should suggest a reply on Alt+S and summarize the conversation above the composer', async () => {
    ai!.script({ text: reply('Your cake will be ready on Saturday at 9.') });
    await staff.locator('#composer-text').fill('');
    await staff.locator('#composer-text').press('Alt+s');
    await staff.waitForFunction(
      () =>
        (document.querySelector('#composer-text') as HTMLTextAreaElement).value === 'Your cake will be ready on Saturday at 9.',
    );
    ai!.script({ text: 'Ana wants a gluten-free cake delivered on Saturday morning.' });
    await staff.getByRole('button', { name: 'Summarize' }).click();
    const summary = staff.getByRole('region', { name: 'Summary by the AI' });
    await summary.getByText('Ana wants a gluten-free cake').waitFor();
    await screenshot(staff, 'ai-summary.png');
    await summary.getByRole('button', { name: 'Dismiss' }).click();
    await summary.waitFor({ state: 'detached' });
  });

  it('should show every open tab a toast and the list a badge when a customer asks for a person, live', async () => {
    await owner.goto(url('/'));
    await streamOpen(owner);
    const calls = ai!.requests.length;
    await say(BRUNO, 'Can I talk to a real person?');
    const brunoId = await conversationOf(BRUNO);

    const toast = owner.locator('#toasts .toast', { hasText: 'Needs a person:' });
    await toast.waitFor();
    assert.match(await toast.innerText(), /Needs a person: Bruno Costa — The customer asked for a person\./);
    await owner.locator(`#conv-row-${brunoId} .ai-badge`, { hasText: 'needs a person' }).waitFor();
    await staff.locator('#toasts .toast', { hasText: 'Bruno Costa' }).waitFor();
    await screenshot(owner, 'ai-handoff-toast.png');
    assert.equal(ai!.requests.length, calls, 'the model was not asked');

    await toast.getByRole('link').click();
    await owner.locator('.conversation-head .ai-badge', { hasText: 'Needs a person' }).waitFor();
    await owner.getByRole('button', { name: 'Hand back to AI' }).click();
    await owner.locator('.conversation-head .ai-badge').waitFor({ state: 'detached' });
  });

  it('should have had no console errors and no CSP violations', () => {
    assert.deepEqual(chrome!.problems, [], describeProblems(chrome!.problems));
  });
});

/** The CSRF token of the page's session (its meta tag). */
function csrfOf(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!);
}
