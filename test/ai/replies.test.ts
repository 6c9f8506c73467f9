// The AI answering customers: suggest and auto with both providers, handoff, retries, the debounce,
// Meta's rules, the caps, and the "no AI" person. The providers are fake HTTP servers; the real
// SDKs, the real webhook path, the job queue and the outbox run.
import assert from 'node:assert/strict';
import { setSetting } from '../../src/settings/store';
import { promptText } from '../fakes/ai';
import { conversationOf, HOUR, inbound, PAGE_ID } from '../messenger/support';
import {
  aiContext,
  answer,
  drain,
  staffId,
  jobsOf,
  knowledge,
  outgoing,
  standing,
  until,
  type AiCtx,
  type ProviderName,
} from './support';

for (const provider of ['openai', 'anthropic'] as ProviderName[]) {
  describe(`AI replies with ${provider}`, () => {
    let t: AiCtx;
    afterEach(async () => t?.close());

    it('should answer on its own in auto mode, through the outbox, inside the window, never tagged', async () => {
      t = await aiContext(provider, { mode: 'auto' });
      await knowledge(t.ctx, 'Opening hours', 'We open Monday to Friday from 9:00 to 18:00, Saturday 10:00 to 14:00.');
      await knowledge(t.ctx, 'Delivery', 'We deliver cakes within 10 km for 5 EUR.');
      t.ai.script({ text: answer('We open at 9:00 on weekdays.') });
      await inbound(t.ctx, 'psid-auto-1', 'What time do you open on Monday?');
      await until(async () => t.graph.deliveredSends().length === 1, 8000, 'the AI reply to be sent');
      await drain(t.ctx);
      const id = await conversationOf(t.ctx, 'psid-auto-1');
      const out = await outgoing(t.ctx, id);
      assert.equal(out.length, 1);
      assert.equal(out[0]!.sent_by, 'ai');
      assert.match(out[0]!.text, /We open at 9:00 on weekdays\./);
      const send = t.graph.deliveredSends()[0]!;
      assert.equal(send.params.messaging_type, 'RESPONSE');
      assert.equal(send.params.tag, undefined);
      // The prompt: the customer's words and the matching knowledge, never the PSID.
      assert.equal(t.ai.requests.length, 1);
      const prompt = promptText(t.ai.requests[0]!);
      assert.match(prompt, /What time do you open on Monday\?/);
      assert.match(prompt, /Monday to Friday from 9:00/);
      assert.doesNotMatch(prompt, /Delivery|10 km/, 'only the relevant knowledge entry');
      assert.doesNotMatch(JSON.stringify(t.ai.requests[0]!.body), /psid-auto-1/);
      assert.doesNotMatch(JSON.stringify(t.ai.requests[0]!.body), new RegExp(PAGE_ID));
    });

    it('should put a draft in the composer in suggest mode, and send nothing', async () => {
      t = await aiContext(provider, { mode: 'suggest' });
      t.ai.script({ text: answer('Yes, we have gluten-free cakes.') });
      await inbound(t.ctx, 'psid-suggest-1', 'Do you have gluten-free cakes?');
      const id = await conversationOf(t.ctx, 'psid-suggest-1');
      await until(async () => Boolean(await t.ctx.deps.db.get('SELECT 1 FROM ai_drafts WHERE conversation_id = ?', [id])));
      const draft = await t.ctx.deps.db.get<{ text: string }>('SELECT text FROM ai_drafts WHERE conversation_id = ?', [id]);
      assert.equal(draft!.text, 'Yes, we have gluten-free cakes.');
      await drain(t.ctx);
      assert.deepEqual(await outgoing(t.ctx, id), []);
      assert.equal(t.graph.sends().length, 0);
    });
  });
}

describe('AI replies: failures and handoff', () => {
  let t: AiCtx;
  afterEach(async () => t?.close());

  it('should retry a 429 and then send exactly one reply', async () => {
    t = await aiContext('openai');
    t.ai.script({ status: 429, retryAfterMs: 1, message: 'slow down' }, { text: answer('Here you go.') });
    await inbound(t.ctx, 'psid-429', 'Hi, are you open today?');
    await until(async () => t.graph.deliveredSends().length === 1, 8000, 'the reply after the 429');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, 2);
    assert.equal(t.graph.deliveredSends().length, 1);
    assert.deepEqual(
      (await outgoing(t.ctx, await conversationOf(t.ctx, 'psid-429'))).map((m) => m.text),
      [`${(await t.ctx.deps.assistant.settings()).disclosure}\n\nHere you go.`],
    );
  });

  it('should, when the provider always fails, send nothing, flag the conversation for a person, who can still answer', async () => {
    t = await aiContext('anthropic');
    const staff = await staffId(t);
    t.ai.fallback = { status: 500, retryAfterMs: 1, message: 'boom' };
    await inbound(t.ctx, 'psid-500', 'Where is my order?');
    const id = await conversationOf(t.ctx, 'psid-500');
    await until(async () => (await standing(t.ctx, id)).ai_state === 'needs_person', 10000, 'the handoff');
    const s = await standing(t.ctx, id);
    assert.match(s.ai_reason!, /could not answer.*500/);
    assert.equal(s.assignee_id, staff, 'assigned by the rule (the least busy person)');
    assert.equal(t.ai.requests.length, 4, 'four attempts, then it stops');
    assert.equal(t.graph.sends().length, 0);
    await t.ctx.deps.outbox.queue({
      conversationId: id,
      text: 'A person here: it ships today.',
      sentBy: 'user',
      userId: s.assignee_id!,
    });
    await drain(t.ctx);
    assert.equal(t.graph.deliveredSends().length, 1);
    assert.equal((await standing(t.ctx, id)).ai_state, 'person', 'the flag clears: a person has it now');
  });

  it('should treat a provider that does not answer in time like a failure, and hand over after the retries', async () => {
    t = await aiContext('openai');
    await setSetting(t.ctx.deps.db, 'ai.timeout_ms', '300');
    await t.ctx.deps.assistant.changed();
    t.ai.script({ hang: true }, { hang: true }, { hang: true }, { hang: true });
    await inbound(t.ctx, 'psid-timeout', 'Hello?');
    const id = await conversationOf(t.ctx, 'psid-timeout');
    // Backoff between attempts is short at first (2 s, 4 s …); a test waits for the first two.
    await until(async () => t.ai.requests.length >= 2, 10000, 'a retry after the timeout');
    const jobs = await jobsOf(t.ctx);
    assert.match(jobs[0]!.last_error ?? '', /did not answer in time/);
    assert.equal(t.graph.sends().length, 0);
    assert.equal((await standing(t.ctx, id)).ai_state, 'ready');
  });

  for (const [what, text] of [
    ['malformed', 'Sure! I can help with that.'],
    ['empty', ''],
    ['needs a person', answer('', true, 'refund request')],
  ] as const) {
    it(`should hand over on a ${what} answer and send nothing`, async () => {
      t = await aiContext('openai');
      t.ai.script({ text });
      await inbound(t.ctx, `psid-${what.replace(/ /g, '-')}`, 'I want my money back');
      const id = await conversationOf(t.ctx, `psid-${what.replace(/ /g, '-')}`);
      await until(async () => (await standing(t.ctx, id)).ai_state === 'needs_person', 8000, 'the handoff');
      await drain(t.ctx);
      assert.equal(t.graph.sends().length, 0);
      const reason = (await standing(t.ctx, id)).ai_reason!;
      if (what === 'needs a person') assert.equal(reason, 'refund request');
      else assert.match(reason, /unexpected form|empty answer/);
    });
  }

  it('should hand over at once, without calling the model, when the customer asks for a person', async () => {
    t = await aiContext('openai');
    await inbound(t.ctx, 'psid-human', 'Can I talk to a real person please?');
    const id = await conversationOf(t.ctx, 'psid-human');
    await until(async () => (await standing(t.ctx, id)).ai_state === 'needs_person');
    assert.equal((await standing(t.ctx, id)).ai_reason, 'The customer asked for a person.');
    assert.equal(t.ai.requests.length, 0);
  });

  it('should pause after repeated failures and show why, instead of retrying forever', async () => {
    t = await aiContext('openai');
    t.ai.fallback = { status: 401, message: 'invalid key' };
    for (let i = 0; i < 6; i++) await inbound(t.ctx, `psid-pause-${i}`, 'hello there');
    await until(async () => Boolean((await t.ctx.deps.assistant.settings()).paused), 10000, 'the pause');
    assert.match((await t.ctx.deps.assistant.settings()).paused!.reason, /failed 6 times in a row.*401/);
    const calls = t.ai.requests.length;
    await inbound(t.ctx, 'psid-pause-after', 'anyone?');
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, calls, 'no calls while paused');
    await t.ctx.deps.assistant.resume();
    assert.equal((await t.ctx.deps.assistant.settings()).paused, undefined);
  });
});

describe('AI replies: one answer per burst, and never over a person', () => {
  let t: AiCtx;
  afterEach(async () => t?.close());

  it('should give three quick messages one answer (one call)', async () => {
    t = await aiContext('openai', { debounceMs: 400 });
    t.ai.script({ text: answer('Happy to help with all three.') });
    await inbound(t.ctx, 'psid-burst', 'Hi');
    await inbound(t.ctx, 'psid-burst', 'I would like a cake');
    await inbound(t.ctx, 'psid-burst', 'for Saturday, chocolate');
    await until(async () => t.graph.deliveredSends().length === 1, 8000, 'the one reply');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, 1);
    assert.match(promptText(t.ai.requests[0]!), /Hi\nI would like a cake\nfor Saturday, chocolate/);
    assert.equal((await outgoing(t.ctx, await conversationOf(t.ctx, 'psid-burst'))).length, 1);
  });

  it("should stay quiet after a person's reply, until the conversation is resolved and the customer writes again", async () => {
    t = await aiContext('openai');
    t.ai.fallback = { text: answer('An AI answer.') };
    await inbound(t.ctx, 'psid-person', 'First question');
    await until(async () => t.graph.deliveredSends().length === 1);
    const id = await conversationOf(t.ctx, 'psid-person');
    await t.ctx.deps.outbox.queue({
      conversationId: id,
      text: 'Maria here, I will take it from now.',
      sentBy: 'user',
      userId: await staffId(t),
    });
    await drain(t.ctx);
    await inbound(t.ctx, 'psid-person', 'Thanks Maria, one more thing');
    await drain(t.ctx);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.ai.requests.length, 1, 'the AI stays quiet while a person has the conversation');
    assert.equal((await standing(t.ctx, id)).ai_state, 'person');
    await t.ctx.deps.workflow.setStatus(id, 'resolved');
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, 1, 'resolving answers nothing old');
    await inbound(t.ctx, 'psid-person', 'New question a week later');
    await until(async () => t.ai.requests.length === 2, 8000, 'the AI answering the new message');
    assert.match(promptText(t.ai.requests[1]!), /New question a week later/);
  });

  it('should drop its answer when a person replies while the model is thinking', async () => {
    t = await aiContext('openai');
    t.ai.script({ text: answer('Too late.'), delayMs: 500 });
    await inbound(t.ctx, 'psid-race', 'Quick question');
    const id = await conversationOf(t.ctx, 'psid-race');
    await t.ai.waitForRequests(1);
    await t.ctx.deps.outbox.queue({ conversationId: id, text: 'A person was faster.', sentBy: 'user', userId: await staffId(t) });
    await until(async () => (await jobsOf(t.ctx, 'done')).length === 1, 8000, 'the job to finish');
    await drain(t.ctx);
    assert.deepEqual(
      (await outgoing(t.ctx, id)).map((m) => m.sent_by),
      ['user'],
    );
  });

  it('should never re-answer old history when handed back', async () => {
    t = await aiContext('openai');
    await inbound(t.ctx, 'psid-back', 'I want to speak to a human');
    const id = await conversationOf(t.ctx, 'psid-back');
    await until(async () => (await standing(t.ctx, id)).ai_state === 'needs_person');
    await t.ctx.deps.assistant.handBack(id);
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, 0);
    await inbound(t.ctx, 'psid-back', 'ok, what are your prices?');
    await until(async () => t.ai.requests.length === 1);
  });
});

describe("AI replies: Meta's rules, the caps, and the person's choice", () => {
  let t: AiCtx;
  afterEach(async () => t?.close());

  it('should send nothing once the 24-hour window has closed, and say why', async () => {
    t = await aiContext('openai', { debounceMs: 60_000 });
    await inbound(t.ctx, 'psid-window', 'Are you there?', Date.now() - 25 * HOUR);
    const id = await conversationOf(t.ctx, 'psid-window');
    await t.ctx.deps.db.run("UPDATE jobs SET run_at = 0 WHERE kind = 'ai.reply'");
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, 0);
    assert.equal(t.graph.sends().length, 0);
    assert.match((await standing(t.ctx, id)).ai_reason!, /did not answer: More than 24 hours/);
  });

  it('should say it is an automated assistant in its first automatic reply only', async () => {
    t = await aiContext('anthropic');
    t.ai.fallback = { text: answer('Answer.') };
    await inbound(t.ctx, 'psid-disclose', 'one');
    await until(async () => t.graph.deliveredSends().length === 1);
    await inbound(t.ctx, 'psid-disclose', 'two');
    await until(async () => t.graph.deliveredSends().length === 2);
    const texts = t.graph.deliveredSends().map((s) => s.params.message.text as string);
    assert.match(texts[0]!, /automated assistant/);
    assert.doesNotMatch(texts[1]!, /automated assistant/);
  });

  it('should keep to the daily caps: for the whole install, and per conversation', async () => {
    t = await aiContext('openai', { mode: 'suggest' });
    await setSetting(
      t.ctx.deps.db,
      'ai.caps',
      JSON.stringify({
        requestsPerDay: 3,
        tokensPerDay: 1_000_000,
        conversationRequestsPerDay: 2,
        conversationTokensPerDay: 60_000,
      }),
    );
    await t.ctx.deps.assistant.changed();
    for (const text of ['a1', 'a2', 'a3']) {
      await inbound(t.ctx, 'psid-cap-a', text);
      await drain(t.ctx);
    }
    assert.equal(t.ai.requests.length, 2, 'two for this conversation');
    const a = await conversationOf(t.ctx, 'psid-cap-a');
    assert.match((await standing(t.ctx, a)).ai_reason!, /limit of 2 calls for this conversation/);
    await inbound(t.ctx, 'psid-cap-b', 'b1');
    await drain(t.ctx);
    await inbound(t.ctx, 'psid-cap-c', 'c1');
    await drain(t.ctx);
    assert.equal(t.ai.requests.length, 3, 'three for the install');
    const c = await conversationOf(t.ctx, 'psid-cap-c');
    assert.match((await standing(t.ctx, c)).ai_reason!, /limit of 3 calls/);
  });

  it('should never answer or draft for a person switched to "no AI"', async () => {
    t = await aiContext('openai');
    await inbound(t.ctx, 'psid-noai', 'first');
    await until(async () => t.graph.deliveredSends().length === 1);
    const contact = await t.ctx.deps.db.get<{ id: number }>("SELECT id FROM contacts WHERE psid = 'psid-noai'");
    await t.ctx.deps.assistant.setNoAi(contact!.id, true);
    await inbound(t.ctx, 'psid-noai', 'second');
    await drain(t.ctx);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(t.ai.requests.length, 1);
    assert.equal(await t.ctx.deps.db.get("SELECT 1 FROM jobs WHERE kind = 'ai.reply' AND state = 'pending'"), undefined);
  });

  it('should log each call (purpose, provider, model, tokens) in the audit log and the ledger, never the content', async () => {
    t = await aiContext('openai');
    t.ai.script({ text: answer('Secret answer text'), inputTokens: 120, outputTokens: 30 });
    await inbound(t.ctx, 'psid-audit', 'Secret question text');
    await until(async () => t.graph.deliveredSends().length === 1);
    const row = await t.ctx.deps.db.get<{ detail: string; action: string }>(
      "SELECT action, detail FROM audit_log WHERE action = 'ai.call'",
    );
    assert.deepEqual(
      { ...JSON.parse(row!.detail), ms: 0 },
      { purpose: 'reply', provider: 'openai', model: 'gpt-5-mini', input_tokens: 120, output_tokens: 30, ms: 0 },
    );
    const everything =
      JSON.stringify(await t.ctx.deps.db.all('SELECT * FROM audit_log')) +
      JSON.stringify(await t.ctx.deps.db.all('SELECT * FROM ai_calls'));
    assert.doesNotMatch(everything, /Secret (question|answer) text/);
  });
});
