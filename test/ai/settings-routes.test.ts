import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { recordCall } from '../../src/ai/ledger';
import { startOpenAiFake, type AiFake } from '../fakes/ai';
import { addUser, signIn, type Agent } from '../support/browser-session';
import { makeContext, tempDir, type TestContext } from '../support/context';
import { AI_KEY, aiContext } from './support';

const OWNER = 'owner@example.com';
const STAFF = 'staff@example.com';

/** A complete, valid Settings → AI form; `change` replaces or adds fields. */
function aiForm(csrf: string, change: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    _csrf: csrf,
    provider: 'openai',
    mode: 'suggest',
    model: '',
    api_key: '',
    base_url: '',
    days: ['1', '2', '3', '4', '5'],
    open: '09:00',
    close: '18:00',
    disclose: 'on',
    disclosure: 'Hi! This is an automated assistant.',
    handoff_to: 'least-busy',
    timeout_s: '30',
    cap_requests: '500',
    cap_tokens: '1000000',
    cap_conversation_requests: '30',
    cap_conversation_tokens: '60000',
    ...change,
  };
}

async function aiRows(ctx: Pick<TestContext, 'deps'>): Promise<Record<string, string>> {
  const rows = await ctx.deps.db.all<{ key: string; value: string }>("SELECT key, value FROM settings WHERE key LIKE 'ai.%'");
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

describe('Settings → AI', () => {
  let ctx: TestContext;
  let owner: { agent: Agent; csrf: string };
  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, OWNER, 'owner');
    await addUser(ctx.deps.db, STAFF, 'staff');
    owner = await signIn(ctx.app, OWNER);
  });
  afterEach(() => ctx.close());

  const save = (change: Record<string, string | string[]> = {}) =>
    owner.agent.post('/settings/ai').type('form').send(aiForm(owner.csrf, change));

  describe('GET /settings/ai', () => {
    it('should show the owner every section, and refuse staff', async () => {
      const page = await owner.agent.get('/settings/ai');
      assert.equal(page.status, 200);
      for (const heading of ['Provider', 'Mode', 'Daily caps', 'Knowledge', 'Usage'])
        assert.match(page.text, new RegExp(`<h2>${heading}</h2>`));
      assert.match(page.text, /http:\/\/localhost:11434\/v1/, 'the help names Ollama’s base URL');
      assert.match(page.text, /placeholder="gpt-5-mini"/, 'the model’s placeholder is the default');
      assert.match((await owner.agent.get('/settings')).text, /href="\/settings\/ai"/, 'Settings links to it');
      const staff = await signIn(ctx.app, STAFF);
      const refused = await staff.agent.get('/settings/ai');
      assert.equal(refused.status, 403);
      assert.match(refused.text, /Only the owner/);
    });
  });

  describe('POST /settings/ai', () => {
    it('should save valid settings, which the assistant then uses, and audit the fields changed', async () => {
      const staffId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM users WHERE email = ?', [STAFF]))!.id;
      const res = await save({
        mode: 'auto',
        model: 'llama3.1:8b',
        api_key: 'sk-stored-secret-123',
        base_url: 'http://localhost:11434/v1/',
        auto_outside_hours: 'on',
        days: ['1', '6'],
        open: '08:30',
        close: '17:00',
        first_name: 'on',
        handoff_to: `user:${staffId}`,
        timeout_s: '45',
        cap_requests: '100',
        cap_tokens: '200000',
        cap_conversation_requests: '10',
        cap_conversation_tokens: '20000',
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/settings/ai?saved=1');
      const s = await ctx.deps.assistant.settings();
      assert.equal(s.provider, 'openai');
      assert.equal(s.mode, 'auto');
      assert.equal(s.model, 'llama3.1:8b');
      assert.equal(s.apiKey, 'sk-stored-secret-123');
      assert.equal(s.baseUrl, 'http://localhost:11434/v1');
      assert.equal(s.autoOutsideHoursOnly, true);
      assert.deepEqual(s.hours, { days: [1, 6], open: '08:30', close: '17:00' });
      assert.equal(s.useFirstName, true);
      assert.equal(s.handoffTo, `user:${staffId}`);
      assert.equal(s.timeoutMs, 45_000);
      assert.deepEqual(s.caps, {
        requestsPerDay: 100,
        tokensPerDay: 200_000,
        conversationRequestsPerDay: 10,
        conversationTokensPerDay: 20_000,
      });
      // The webhook's row follows (conversations/ai-state.ts).
      assert.ok((await aiRows(ctx))['ai.replies']);
      const page = await owner.agent.get('/settings/ai?saved=1');
      assert.match(page.text, /AI settings saved\./);
      assert.match(page.text, /On: answers customers by itself/);
      const logged = await ctx.deps.db.get<{ actor: string; detail: string }>(
        "SELECT actor, detail FROM audit_log WHERE action = 'settings.ai'",
      );
      assert.equal(logged?.actor, OWNER);
      const fields = (JSON.parse(logged!.detail) as { fields: string[] }).fields;
      for (const f of ['provider', 'mode', 'model', 'api_key', 'base_url', 'hours', 'caps', 'timeout', 'handoff_to'])
        assert.ok(fields.includes(f), f);
      assert.ok(!logged!.detail.includes('sk-stored-secret'), 'the key is not in the audit log');
    });

    it('should refuse invalid caps, hours and timeout with each field’s message, keep the input and save nothing', async () => {
      const res = await save({
        cap_requests: '0',
        cap_tokens: '12.5',
        cap_conversation_requests: '99999999',
        open: '9am',
        timeout_s: '500',
        disclosure: 'kept as typed',
      });
      assert.equal(res.status, 400);
      assert.match(res.text, /Nothing was saved/);
      assert.match(res.text, /Requests per day \(whole install\): a whole number from 1 to 100,000\./);
      assert.match(res.text, /Tokens per day \(whole install\): a whole number/);
      assert.match(res.text, /Requests per day \(one conversation\): a whole number from 1 to 10,000\./);
      assert.match(res.text, /Opening time: a time like 09:00\./);
      assert.match(res.text, /Timeout: a whole number of seconds from 5 to 120\./);
      assert.match(res.text, /name="cap_requests" inputmode="numeric" value="0" aria-invalid="true"/);
      assert.match(res.text, /kept as typed/);
      assert.deepEqual(await aiRows(ctx), {});
      assert.equal((await ctx.deps.assistant.settings()).provider, 'none');

      const closesEarly = await save({ open: '18:00', close: '09:00' });
      assert.equal(closesEarly.status, 400);
      assert.match(closesEarly.text, /Closing time: later than the opening time\./);
      const noDays = await save({ auto_outside_hours: 'on', days: [] });
      assert.equal(noDays.status, 400);
      assert.match(noDays.text, /Business days: choose at least one day/);
      const badUrl = await save({ base_url: 'ftp://example.com' });
      assert.match(badUrl.text, /Base URL: an http or https address/);
      const badHandoff = await save({ handoff_to: 'user:99999' });
      assert.match(badHandoff.text, /Hand over to: choose nobody/);
      assert.deepEqual(await aiRows(ctx), {});
    });

    it('should never send the stored key back, keep it when the field is blank, and remove it when asked', async () => {
      const secret = 'sk-never-shown-0123456789';
      assert.equal((await save({ api_key: secret })).status, 303);
      const page = await owner.agent.get('/settings/ai');
      assert.ok(!page.text.includes(secret), 'the key is not in the page');
      assert.match(page.text, /A key is stored/);
      assert.match(page.text, /name="remove_key"/);
      assert.equal((await save({ api_key: '' })).status, 303);
      assert.equal((await ctx.deps.assistant.settings()).apiKey, secret, 'a blank field keeps the key');
      assert.equal((await save({ remove_key: 'on' })).status, 303);
      assert.equal((await ctx.deps.assistant.settings()).apiKey, undefined);
      assert.doesNotMatch((await owner.agent.get('/settings/ai')).text, /A key is stored/);
    });
  });

  describe('POST /settings/ai/test', () => {
    let fake: AiFake;
    beforeEach(async () => (fake = await startOpenAiFake({ apiKey: AI_KEY })));
    afterEach(() => fake.close());

    it('should show the provider’s answer, escaped, alone for htmx and in the page without it', async () => {
      assert.equal((await save({ api_key: AI_KEY, base_url: fake.url })).status, 303);
      fake.script({ text: 'Hello, team! <b>ready</b>' });
      const partial = await owner.agent.post('/settings/ai/test').set('HX-Request', 'true').set('X-CSRF-Token', owner.csrf);
      assert.equal(partial.status, 200);
      assert.doesNotMatch(partial.text, /<html/);
      assert.match(partial.text, /id="ai-test-result"/);
      assert.match(partial.text, /Hello, team! &lt;b&gt;ready&lt;\/b&gt;/);
      fake.script({ text: 'Hello again' });
      const page = await owner.agent.post('/settings/ai/test').type('form').send({ _csrf: owner.csrf });
      assert.equal(page.status, 200);
      assert.match(page.text, /<h1>AI replies<\/h1>/);
      assert.match(page.text, /The provider answered:/);
      assert.match(page.text, /Hello again/);
      const audited = await ctx.deps.db.all<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'ai.test'");
      assert.deepEqual(
        audited.map((a) => a.actor),
        [OWNER, OWNER],
      );
    });

    it('should show the provider’s error when it refuses the key', async () => {
      assert.equal((await save({ api_key: 'sk-wrong-key', base_url: fake.url })).status, 303);
      const res = await owner.agent.post('/settings/ai/test').type('form').send({ _csrf: owner.csrf });
      assert.equal(res.status, 200);
      assert.match(res.text, /The test failed:/);
      assert.match(res.text, /The AI provider answered 401/);
    });

    it('should say so when no provider is set up', async () => {
      const res = await owner.agent.post('/settings/ai/test').set('HX-Request', 'true').set('X-CSRF-Token', owner.csrf);
      assert.match(res.text, /AI is not set up/);
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('the knowledge', () => {
    it('should add, edit and delete entries, and refuse an entry without a title, keeping the input', async () => {
      const added = await owner.agent
        .post('/settings/ai/knowledge')
        .type('form')
        .send({ _csrf: owner.csrf, title: 'Opening hours', body: 'Monday to Friday, 9 to 6.' });
      assert.equal(added.status, 303);
      assert.equal(added.headers.location, '/settings/ai?knowledge=saved#knowledge');
      const { id } = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM knowledge WHERE title = 'Opening hours'"))!;
      const page = await owner.agent.get('/settings/ai?knowledge=saved');
      assert.match(page.text, /Entry saved\./);
      assert.match(page.text, /Monday to Friday, 9 to 6\./);

      const edited = await owner.agent
        .post(`/settings/ai/knowledge/${id}`)
        .type('form')
        .send({ _csrf: owner.csrf, title: 'Tone', body: 'Friendly, short, no emojis.', always: 'on' });
      assert.equal(edited.status, 303);
      const row = await ctx.deps.db.get<{ title: string; always: number }>('SELECT title, always FROM knowledge WHERE id = ?', [
        id,
      ]);
      assert.deepEqual({ ...row }, { title: 'Tone', always: 1 });
      assert.match((await owner.agent.get('/settings/ai')).text, /<span class="pill pill-owner">always<\/span>/);

      const refused = await owner.agent
        .post('/settings/ai/knowledge')
        .type('form')
        .send({ _csrf: owner.csrf, title: '  ', body: 'Delivery in two days, kept as typed.' });
      assert.equal(refused.status, 400);
      assert.match(refused.text, /Give the entry a title/);
      assert.match(refused.text, /Delivery in two days, kept as typed\./);
      assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM knowledge'))?.n, 1);

      const deleted = await owner.agent.post(`/settings/ai/knowledge/${id}/delete`).type('form').send({ _csrf: owner.csrf });
      assert.equal(deleted.status, 303);
      assert.equal(deleted.headers.location, '/settings/ai?knowledge=deleted#knowledge');
      assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM knowledge'))?.n, 0);
      assert.equal(
        (await owner.agent.post(`/settings/ai/knowledge/${id}/delete`).type('form').send({ _csrf: owner.csrf })).status,
        404,
      );
      const audited = await ctx.deps.db.all<{ detail: string }>(
        "SELECT detail FROM audit_log WHERE action = 'ai.knowledge' ORDER BY id",
      );
      assert.deepEqual(
        audited.map((a) => (JSON.parse(a.detail) as { change: string }).change),
        ['added', 'updated', 'deleted'],
      );
    });

    it('should show the knowledge file’s entries as read-only and refuse to change them', async () => {
      const dir = tempDir();
      const file = path.join(dir, 'knowledge.md');
      fs.writeFileSync(file, '# Returns\nWithin 30 days, with the receipt.\n');
      const withFile = await makeContext({ AI_KNOWLEDGE_FILE: file });
      try {
        await withFile.deps.assistant.start();
        await addUser(withFile.deps.db, OWNER, 'owner');
        const { agent, csrf } = await signIn(withFile.app, OWNER);
        const { id } = (await withFile.deps.db.get<{ id: number }>("SELECT id FROM knowledge WHERE source = 'file'"))!;
        const page = await agent.get('/settings/ai');
        assert.match(page.text, /Returns/);
        assert.match(page.text, /<span class="pill">from file<\/span>/);
        assert.doesNotMatch(page.text, new RegExp(`action="/settings/ai/knowledge/${id}"`), 'no edit form');
        const edit = await agent
          .post(`/settings/ai/knowledge/${id}`)
          .type('form')
          .send({ _csrf: csrf, title: 'Changed', body: 'Changed' });
        assert.equal(edit.status, 409);
        assert.match(edit.text, /comes from the knowledge file/);
        const del = await agent.post(`/settings/ai/knowledge/${id}/delete`).type('form').send({ _csrf: csrf });
        assert.equal(del.status, 409);
        const row = await withFile.deps.db.get<{ title: string }>('SELECT title FROM knowledge WHERE id = ?', [id]);
        assert.equal(row?.title, 'Returns');
      } finally {
        await withFile.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('usage and pausing', () => {
    it('should show a recorded call in the usage table and today’s totals against the caps', async () => {
      await recordCall(ctx.deps.db, {
        purpose: 'reply',
        provider: 'openai',
        model: 'gpt-5-mini',
        inputTokens: 1200,
        outputTokens: 345,
        ms: 800,
        ok: true,
      });
      const page = await owner.agent.get('/settings/ai');
      assert.match(page.text, /id="usage-table"/);
      assert.match(page.text, /<td>1<\/td><td>0<\/td><td>1,200<\/td><td>345<\/td>/);
      assert.match(page.text, /Today: <strong>1<\/strong> of 500 calls and <strong>1,545<\/strong> of 1,000,000 tokens/);
    });

    it('should show why AI is paused, and resume it', async () => {
      await ctx.deps.assistant.pause('The AI provider failed 6 times in a row. Last: quota <exceeded>');
      const page = await owner.agent.get('/settings/ai');
      assert.match(page.text, /id="ai-paused"/);
      assert.match(page.text, /quota &lt;exceeded&gt;/);
      assert.match(page.text, /action="\/settings\/ai\/resume"/);
      const res = await owner.agent.post('/settings/ai/resume').type('form').send({ _csrf: owner.csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/settings/ai?resumed=1');
      assert.equal((await ctx.deps.assistant.settings()).paused, undefined);
      const after = await owner.agent.get('/settings/ai?resumed=1');
      assert.doesNotMatch(after.text, /id="ai-paused"/);
      assert.match(after.text, /AI resumed\./);
      assert.ok(await ctx.deps.db.get("SELECT id FROM audit_log WHERE action = 'ai.resume'"));
    });

    it('should name the provider on /privacy only while AI is on', async () => {
      const policy = async () => (await request(ctx.app).get('/privacy')).text;
      assert.doesNotMatch(await policy(), /OpenAI/);
      assert.equal((await save({ api_key: 'sk-test' })).status, 303);
      assert.match(await policy(), /<strong>OpenAI<\/strong> receives/);
      await ctx.deps.assistant.pause('testing');
      assert.doesNotMatch(await policy(), /OpenAI/);
      await ctx.deps.assistant.resume();
      assert.equal((await save({ mode: 'off' })).status, 303);
      assert.doesNotMatch(await policy(), /OpenAI/);
      assert.equal((await save({ mode: 'suggest', base_url: 'http://ollama.internal:11434/v1' })).status, 303);
      assert.match(await policy(), /The AI service at ollama.internal:11434/);
    });
  });
});

describe('Settings → AI with the environment setting the provider', () => {
  it('should show the environment’s fields read-only and never overwrite them', async () => {
    const t = await aiContext('openai', { mode: 'auto' });
    try {
      await addUser(t.ctx.deps.db, OWNER, 'owner');
      const { agent, csrf } = await signIn(t.ctx.app, OWNER);
      const page = await agent.get('/settings/ai');
      assert.match(page.text, /Set by AI_PROVIDER\./);
      assert.match(page.text, /Set by AI_MODE\./);
      assert.match(page.text, /Set by OPENAI_API_KEY\./);
      assert.match(page.text, /Set by OPENAI_BASE_URL\./);
      assert.match(page.text, /<select name="provider" disabled/);
      assert.ok(!page.text.includes(AI_KEY), 'the environment’s key is not shown either');
      const res = await agent
        .post('/settings/ai')
        .type('form')
        .send(aiForm(csrf, { provider: 'anthropic', mode: 'off', api_key: 'sk-other', base_url: 'http://evil.example/v1' }));
      assert.equal(res.status, 303);
      const s = await t.ctx.deps.assistant.settings();
      assert.equal(s.provider, 'openai');
      assert.equal(s.mode, 'auto');
      assert.equal(s.apiKey, AI_KEY);
      assert.equal(s.baseUrl, t.ai.url);
      const rows = await aiRows(t.ctx);
      for (const key of ['ai.provider', 'ai.mode', 'ai.api_key', 'ai.base_url']) assert.equal(rows[key], undefined, key);
      assert.equal(
        rows['ai.caps'],
        JSON.stringify({
          requestsPerDay: 500,
          tokensPerDay: 1000000,
          conversationRequestsPerDay: 30,
          conversationTokensPerDay: 60000,
        }),
      );
    } finally {
      await t.close();
    }
  });
});
