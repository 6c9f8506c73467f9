// The AI in the inbox, through the routes staff use: a suggested reply in the composer, the helpers
// (improve, shorten, translate, summarize), a waiting draft shown and dismissed and dropped once a
// reply goes out, "needs a person" and handing back, the per-conversation mode, the "no AI" switch
// on the contact page, and readable refusals when the AI may not help. The provider is the fake
// OpenAI server; its debounce is long, so the reply job never runs by itself here.
import assert from 'node:assert/strict';
import request from 'supertest';
import { promptText } from '../fakes/ai';
import { customerWrites, listen, sessionCookie, SseStream } from '../inbox/support';
import { conversationOf, inbound } from '../messenger/support';
import { makeContext, type TestContext } from '../support/context';
import { addUser, csrfOf, signIn, type Agent } from '../support/browser-session';
import { aiContext, answer, until, type AiCtx } from './support';

const OWNER = 'olivia@example.com';
const STAFF = 'sam@example.com';
const PSID = '6600000000000001';
const HTMX = { 'HX-Request': 'true' };

describe('The AI in the inbox', () => {
  let t: AiCtx;
  let id: number;
  let owner: { agent: Agent; csrf: string };
  beforeEach(async () => {
    t = await aiContext('openai', { mode: 'suggest', debounceMs: 600_000 });
    await addUser(t.ctx.deps.db, OWNER, 'owner');
    await addUser(t.ctx.deps.db, STAFF, 'staff');
    await inbound(t.ctx, PSID, 'Hola, ¿entregan pasteles el domingo?');
    id = await conversationOf(t.ctx, PSID);
    owner = await signIn(t.ctx.app, OWNER);
  });
  afterEach(() => t.close());

  const draftRow = () => t.ctx.deps.db.get<{ text: string }>('SELECT text FROM ai_drafts WHERE conversation_id = ?', [id]);
  const standing = () =>
    t.ctx.deps.db.get<{ ai_state: string; ai_mode: string | null }>('SELECT ai_state, ai_mode FROM conversations WHERE id = ?', [
      id,
    ]);
  const post = (path: string, form: Record<string, string> = {}, who = owner) =>
    who.agent.post(path).set('X-CSRF-Token', who.csrf).type('form').send(form);

  describe('POST /conversations/:id/ai/suggest', () => {
    it("should fill the composer with the AI's draft, keep it as the waiting draft, and show it on the page", async () => {
      t.ai.script({ text: answer('Sí, entregamos los domingos de 10 a 14 h.') });
      const res = await post(`/conversations/${id}/ai/suggest`).set(HTMX);
      assert.equal(res.status, 200);
      assert.match(res.text, /id="ai-draft" data-state="asked" data-text="Sí, entregamos los domingos de 10 a 14 h\."/);
      assert.doesNotMatch(res.text, /<html/);
      assert.match(promptText(t.ai.requests[0]!), /entregan pasteles el domingo/);
      assert.equal((await draftRow())!.text, 'Sí, entregamos los domingos de 10 a 14 h.');

      const page = await owner.agent.get(`/conversations/${id}`);
      assert.match(page.text, /<textarea id="composer-text"[^>]*>Sí, entregamos los domingos de 10 a 14 h\.<\/textarea>/);
      assert.match(page.text, /AI draft<\/span>\s*<span data-ai-draft-note>— edit before sending\./);
      assert.match(page.text, new RegExp(`hx-post="/conversations/${id}/ai/draft/dismiss"`));
    });

    it('should let staff ask too, and answer JSON to a client that wants it', async () => {
      const staff = await signIn(t.ctx.app, STAFF);
      t.ai.script({ text: answer('We deliver on Sundays.') });
      const res = await post(`/conversations/${id}/ai/suggest`, {}, staff).set('Accept', 'application/json');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { text: 'We deliver on Sundays.' });
    });

    it('should go back to the conversation after a plain form post', async () => {
      const res = await post(`/conversations/${id}/ai/suggest`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/conversations/${id}`);
      assert.equal((await draftRow())!.text, 'Hello from the fake');
    });

    it('should send an anonymous visitor to sign in', async () => {
      const visitor = request.agent(t.ctx.app);
      const csrf = await csrfOf(visitor, '/login');
      const res = await visitor.post(`/conversations/${id}/ai/suggest`).type('form').send({ _csrf: csrf });
      assert.equal(res.status, 303);
      assert.match(res.headers.location, /^\/login\?next=/);
      assert.equal(t.ai.requests.length, 0);
    });
  });

  describe('POST /conversations/:id/ai/help', () => {
    for (const kind of ['improve', 'shorten', 'translate'] as const) {
      it(`should ${kind} the text in the composer with the AI's answer`, async () => {
        t.ai.script({ text: `The ${kind}d reply` });
        const res = await post(`/conversations/${id}/ai/help`, { kind, text: 'hi yes we deliver sundays' }).set(HTMX);
        assert.equal(res.status, 200);
        assert.match(res.text, new RegExp(`data-ai-fill="The ${kind}d reply"`));
        assert.match(promptText(t.ai.requests[0]!), /hi yes we deliver sundays/);
      });
    }

    it('should summarize the conversation in the panel above the composer, leaving the text alone', async () => {
      t.ai.script({ text: 'The customer asks about Sunday deliveries.' });
      const res = await post(`/conversations/${id}/ai/help`, { kind: 'summarize', text: 'half-written' }).set(HTMX);
      assert.equal(res.status, 200);
      assert.match(res.text, /id="ai-summary" role="region"/);
      assert.match(res.text, /The customer asks about Sunday deliveries\./);
      assert.doesNotMatch(res.text, /data-ai-fill/);
      assert.match(promptText(t.ai.requests[0]!), /entregan pasteles el domingo/);
    });

    it('should refuse an unknown kind, and an empty draft, readably', async () => {
      const unknown = await post(`/conversations/${id}/ai/help`, { kind: 'rhyme', text: 'x' }).set(HTMX);
      assert.equal(unknown.status, 400);
      assert.match(unknown.text, /role="alert">Choose what the AI should do/);
      const empty = await post(`/conversations/${id}/ai/help`, { kind: 'improve', text: '  ' }).set(HTMX);
      assert.equal(empty.status, 400);
      assert.match(empty.text, /Write a draft first/);
      assert.equal(t.ai.requests.length, 0);
    });
  });

  describe('a waiting draft', () => {
    beforeEach(async () => {
      t.ai.script({ text: answer('See you on Sunday!') });
      assert.equal((await post(`/conversations/${id}/ai/suggest`)).status, 303);
    });

    it('should be dismissed', async () => {
      const res = await post(`/conversations/${id}/ai/draft/dismiss`).set(HTMX);
      assert.equal(res.status, 200);
      assert.match(res.text, /id="ai-draft" data-state="none"/);
      assert.equal(await draftRow(), undefined);
    });

    it('should be dropped once a reply is sent', async () => {
      const res = await post(`/conversations/${id}/messages`, { text: 'See you on Sunday, Ana!' });
      assert.equal(res.status, 303);
      assert.equal(await draftRow(), undefined);
    });

    it('should stay when a private note is added', async () => {
      await post(`/conversations/${id}/messages`, { text: 'Ask the baker first', mode: 'note' });
      assert.equal((await draftRow())!.text, 'See you on Sunday!');
    });

    it('should wait behind "use it" when the page keeps text someone typed', async () => {
      // An empty reply is refused and the page re-renders with what was typed (here: spaces only, kept).
      const res = await post(`/conversations/${id}/messages`, { text: '   ' });
      assert.equal(res.status, 400);
      assert.match(res.text, /id="ai-draft" data-state="waiting"/);
      assert.match(res.text, /<button type="button" class="button small" data-ai-use >A new draft is ready — use it/);
    });
  });

  describe('needs a person', () => {
    it('should show the badge with the reason in the header and the list, and hand back to the AI', async () => {
      await t.ctx.deps.assistant.handOver(id, 'The customer asked for a refund.');
      const page = await owner.agent.get(`/conversations/${id}`);
      assert.match(
        page.text,
        /class="ai-badge"><strong>Needs a person<\/strong><span class="ai-reason">: The customer asked for a refund\./,
      );
      assert.match(page.text, new RegExp(`<li id="conv-row-${id}"[\\s\\S]*?needs a person</span>`));
      assert.match(page.text, /Hand back to AI/);

      const res = await post(`/conversations/${id}/ai/hand-back`);
      assert.equal(res.status, 303);
      assert.equal((await standing())!.ai_state, 'ready');
      const after = await owner.agent.get(`/conversations/${id}`);
      assert.doesNotMatch(after.text, /Needs a person|Hand back to AI/);
    });

    it('should offer to hand back after a person answered, while the AI is on', async () => {
      await post(`/conversations/${id}/messages`, { text: 'I will check with the baker.' });
      assert.equal((await standing())!.ai_state, 'person');
      assert.match((await owner.agent.get(`/conversations/${id}`)).text, /Hand back to AI/);
    });
  });

  describe('the thread', () => {
    it("should label the AI's replies as sent by the assistant", async () => {
      await t.ctx.deps.outbox.queue({ conversationId: id, text: 'Sí, los domingos también.', sentBy: 'ai' });
      const page = await owner.agent.get(`/conversations/${id}`);
      assert.match(
        page.text,
        /<span class="ai-chip" title="Sent by the assistant">AI<\/span>\s*<p class="text">Sí, los domingos también\.<\/p>/,
      );
      assert.match(page.text, /· sent by the assistant/);
    });
  });

  describe('POST /conversations/:id/ai/mode', () => {
    it('should set this conversation to off, suggest or auto, back to following Settings, and refuse anything else', async () => {
      assert.equal((await post(`/conversations/${id}/ai/mode`, { mode: 'off' })).status, 303);
      assert.equal((await standing())!.ai_mode, 'off');
      const page = await owner.agent.get(`/conversations/${id}`);
      assert.match(page.text, /<option value="off" selected>Off<\/option>/);
      assert.match(page.text, /AI is off in this conversation\./);
      assert.doesNotMatch(page.text, /class="ai-bar"/);
      await post(`/conversations/${id}/ai/mode`, { mode: 'auto' });
      assert.equal((await standing())!.ai_mode, 'auto');
      await post(`/conversations/${id}/ai/mode`, { mode: 'settings' });
      assert.equal((await standing())!.ai_mode, null);
      assert.match((await owner.agent.get(`/conversations/${id}`)).text, /class="ai-bar"/);
      assert.equal((await post(`/conversations/${id}/ai/mode`, { mode: 'always' })).status, 400);
      assert.equal((await standing())!.ai_mode, null);
    });
  });

  describe('POST /contacts/:id/no-ai', () => {
    it('should switch the AI off for the person, audit it, and then refuse to help readably', async () => {
      const { contact_id: contactId } = (await t.ctx.deps.db.get<{ contact_id: number }>(
        'SELECT contact_id FROM conversations WHERE id = ?',
        [id],
      ))!;
      const staff = await signIn(t.ctx.app, STAFF);
      const res = await post(`/contacts/${contactId}/no-ai`, { on: '1' }, staff);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/contacts/${contactId}#ai`);
      const contact = await staff.agent.get(`/contacts/${contactId}`);
      assert.match(contact.text, /role="switch" aria-checked="true">No AI for this person: on/);
      const logged = await t.ctx.deps.db.get<{ actor: string; target: string; detail: string }>(
        "SELECT actor, target, detail FROM audit_log WHERE action = 'contact.no_ai'",
      );
      assert.deepEqual(logged, { actor: STAFF, target: `contact #${contactId}`, detail: '{"on":true}' });

      const refused = await post(`/conversations/${id}/ai/suggest`, {}, staff).set(HTMX);
      assert.equal(refused.status, 409);
      assert.equal(refused.headers['hx-retarget'], '#ai-status');
      assert.match(refused.text, /role="alert">This person asked not to be answered by AI/);
      assert.equal(t.ai.requests.length, 0);
      assert.match((await staff.agent.get(`/conversations/${id}`)).text, /No AI for this person \(their contact page/);

      await post(`/contacts/${contactId}/no-ai`, { on: '0' }, staff);
      assert.match((await staff.agent.get(`/contacts/${contactId}`)).text, /aria-checked="false">No AI for this person: off/);
      assert.equal((await post(`/contacts/${contactId}/no-ai`, { on: 'maybe' }, staff)).status, 400);
    });
  });

  describe('when the AI cannot help', () => {
    it('should say that it is paused, as a readable 409 in the composer (htmx), on the page, and as JSON', async () => {
      await t.ctx.deps.assistant.pause('The AI provider failed 6 times in a row.');
      const htmx = await post(`/conversations/${id}/ai/help`, { kind: 'improve', text: 'hi' }).set(HTMX);
      assert.equal(htmx.status, 409);
      assert.equal(htmx.headers['hx-reswap'], 'innerHTML');
      assert.match(
        htmx.text,
        /^\s*<span class="ai-error" role="alert">AI is paused: The AI provider failed 6 times in a row\.<\/span>/,
      );
      const page = await post(`/conversations/${id}/ai/help`, { kind: 'improve', text: 'my words' });
      assert.equal(page.status, 409);
      assert.match(page.text, /class="alert alert-error" role="alert">AI is paused/);
      assert.match(page.text, /<textarea id="composer-text"[^>]*>my words<\/textarea>/);
      const json = await post(`/conversations/${id}/ai/suggest`).set('Accept', 'application/json');
      assert.equal(json.status, 409);
      assert.equal(json.body.error.code, 'ai-unavailable');
      assert.equal(t.ai.requests.length, 0);
    });

    it("should show the provider's failure readably (502), not an error page", async () => {
      t.ai.script({ status: 401 });
      const res = await post(`/conversations/${id}/ai/suggest`).set(HTMX);
      assert.equal(res.status, 502);
      assert.match(res.text, /role="alert">The AI provider answered 401/);
    });
  });
});

describe('The AI on the live stream', () => {
  let t: AiCtx;
  let server: { url: string; close(): Promise<void> };
  const streams: SseStream[] = [];
  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await server.close();
    await t.close();
  });

  it('should bring a new draft to the tab that has the conversation open, and a handoff toast to every tab', async () => {
    t = await aiContext('openai', { mode: 'suggest' });
    await addUser(t.ctx.deps.db, OWNER, 'owner');
    await addUser(t.ctx.deps.db, STAFF, 'staff');
    server = await listen(t.ctx);
    await inbound(t.ctx, PSID, 'Hello');
    const id = await conversationOf(t.ctx, PSID);
    await until(async () => (await t.ctx.deps.db.get('SELECT 1 FROM ai_drafts WHERE conversation_id = ?', [id])) !== undefined);
    const open = async (who: string, query: string) => {
      const { cookie } = await sessionCookie(t.ctx, who);
      const stream = await SseStream.open(`${server.url}/events?status=open&who=all&since=${t.ctx.deps.live.cursor()}${query}`, {
        Cookie: cookie,
      });
      streams.push(stream);
      return stream;
    };
    const onConversation = await open(OWNER, `&conversation=${id}`);
    const onList = await open(STAFF, '');

    t.ai.script({ text: answer('We open at nine.') });
    await inbound(t.ctx, PSID, 'When do you open?');
    const draft = await onConversation.waitForData('id="ai-draft"', 8000);
    assert.match(draft.data, /id="ai-draft" data-state="live" data-text="We open at nine\." hx-swap-oob="true"/);
    assert.equal(await onList.seenWithin('id="ai-draft"', 100), false);

    await inbound(t.ctx, PSID, 'Can I talk to a real person?');
    for (const stream of [onConversation, onList]) {
      const toast = await stream.waitForData('toast-handoff', 8000);
      assert.match(toast.data, /<div id="toasts" hx-swap-oob="beforeend">/);
      assert.match(
        toast.data,
        new RegExp(`href="/conversations/${id}"><strong>Needs a person:</strong> .+ — The customer asked for a person\\.`),
      );
    }
    const head = await onConversation.waitForData('Needs a person</strong>', 3000);
    assert.match(head.data, /Hand back to AI/);
  });
});

describe('The AI in the inbox when no AI is set up', () => {
  let ctx: TestContext;
  afterEach(() => ctx.close());

  it('should show no AI bar and refuse the helpers with a readable 409', async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, OWNER, 'owner');
    const id = await customerWrites(ctx, PSID, 'Hello?');
    const { agent, csrf } = await signIn(ctx.app, OWNER);
    const page = await agent.get(`/conversations/${id}`);
    assert.doesNotMatch(page.text, /class="ai-bar"|AI in this conversation/);
    const res = await agent.post(`/conversations/${id}/ai/suggest`).set('X-CSRF-Token', csrf).set(HTMX);
    assert.equal(res.status, 409);
    assert.match(res.text, /AI is not set up: choose a provider and give its key in Settings → AI\./);
  });
});
