import assert from 'node:assert/strict';
import request from 'supertest';
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { signIn, type Agent } from '../support/browser-session';
import {
  conversation,
  count,
  customerWrites,
  DAY,
  HOUR,
  inboxContext,
  lastMessage,
  OWNER,
  rowIds,
  senderActionJobs,
  STAFF,
  type InboxContext,
} from './support';

describe('A conversation', () => {
  let ctx: InboxContext;
  let conversationId: number;
  beforeEach(async () => {
    ctx = await inboxContext();
    conversationId = await customerWrites(ctx, '5550001234', 'Do you deliver on Sundays?');
  });
  afterEach(() => ctx.close());

  describe('GET /conversations/:id', () => {
    it('should render the full page: the list, the messages and the composer', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      const res = await agent.get(`/conversations/${conversationId}`);
      assert.equal(res.status, 200);
      assert.match(res.text, /<!doctype html>/);
      assert.deepEqual(rowIds(res.text), [conversationId]);
      assert.match(res.text, new RegExp(`<li id="conv-row-${conversationId}" class="conversation-row current"`));
      assert.match(res.text, /id="message-\d+"[^>]*data-direction="in"/);
      assert.match(res.text, /Do you deliver on Sundays\?/);
      assert.match(res.text, /class="day-divider"/);
      assert.match(
        res.text,
        new RegExp(`<form method="post" action="/conversations/${conversationId}/messages\\?status=open&amp;who=all"`),
      );
      assert.match(res.text, /<textarea id="composer-text" name="text"/);
      assert.match(res.text, /Reply window open for <strong>23 h 5\d min<\/strong>/);
      assert.match(
        res.text,
        new RegExp(
          `sse-connect="/events\\?status=open&amp;who=all&amp;since=[0-9a-f]{8}%3A\\d+&amp;conversation=${conversationId}"`,
        ),
      );
    });

    it('should answer an htmx (boosted) request with the same page', async () => {
      const { agent } = await signIn(ctx.app, STAFF);
      const res = await agent.get(`/conversations/${conversationId}`).set('HX-Request', 'true').set('HX-Boosted', 'true');
      assert.equal(res.status, 200);
      assert.match(res.text, /id="messages"/);
      assert.match(res.text, /id="composer"/);
    });

    it('should mark it read, and in sandbox mode tell nobody (no mark_seen job)', async () => {
      assert.equal((await conversation(ctx, conversationId)).unread_count, 1);
      const { agent } = await signIn(ctx.app, OWNER);
      await agent.get(`/conversations/${conversationId}`);
      assert.equal((await conversation(ctx, conversationId)).unread_count, 0);
      assert.equal((await senderActionJobs(ctx, conversationId)).length, 0);
    });

    it('should answer 404 for an unknown or malformed id', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      const unknown = await agent.get('/conversations/99999');
      assert.equal(unknown.status, 404);
      assert.match(unknown.text, /That conversation does not exist/);
      assert.equal((await agent.get('/conversations/abc')).status, 404);
      assert.equal(
        await count(
          ctx,
          "SELECT 1 FROM jobs WHERE kind = 'messenger.sender_action' AND json_extract(payload, '$.conversationId') = 99999",
        ),
        0,
      );
    });

    it('should redirect a signed-out visitor to sign in', async () => {
      const res = await request(ctx.app).get(`/conversations/${conversationId}`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/login?next=${encodeURIComponent(`/conversations/${conversationId}`)}`);
    });
  });

  describe('POST /conversations/:id/messages', () => {
    let agent: Agent;
    let csrf: string;
    beforeEach(async () => {
      ({ agent, csrf } = await signIn(ctx.app, STAFF));
    });

    /** As the composer form posts: multipart, with _csrf as a field. */
    const post = (fields: Record<string, string>, path = `/conversations/${conversationId}/messages?status=open&who=all`) => {
      const req = agent.post(path);
      for (const [k, v] of Object.entries(fields)) req.field(k, v);
      return req;
    };

    it('should queue a reply, assign the conversation to the person replying and go back to it', async () => {
      const res = await post({ _csrf: csrf, mode: 'reply', text: 'Yes, 10:00 to 14:00.' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/conversations/${conversationId}?status=open&who=all`);
      const m = (await lastMessage(ctx, conversationId))!;
      assert.equal(m.direction, 'out');
      assert.equal(m.kind, 'message');
      assert.equal(m.text, 'Yes, 10:00 to 14:00.');
      assert.equal(m.sent_by_user_id, ctx.staffId);
      assert.ok(['queued', 'sandbox'].includes(m.status), m.status);
      assert.equal(await count(ctx, 'SELECT 1 FROM outbox WHERE message_id = ?', [m.id]), 1);
      assert.equal((await conversation(ctx, conversationId)).assignee_id, ctx.staffId);
      // Sandbox mode: the sender marks it instead of sending it to Meta.
      await ctx.deps.outbox.kick();
      assert.equal((await lastMessage(ctx, conversationId))!.status, 'sandbox');
      const page = await agent.get(res.headers.location);
      assert.match(page.text, /Yes, 10:00 to 14:00\./);
      assert.match(page.text, /sandbox \(not sent to Meta\)/);
      assert.match(page.text, /· Sam Staff/);
    });

    it('should keep an existing assignee when someone else replies', async () => {
      await ctx.deps.workflow.assign(conversationId, ctx.ownerId);
      await post({ _csrf: csrf, text: 'On it' });
      assert.equal((await conversation(ctx, conversationId)).assignee_id, ctx.ownerId);
    });

    it('should accept the same form urlencoded (no file), and a reply with a file attached', async () => {
      const plain = await agent
        .post(`/conversations/${conversationId}/messages`)
        .type('form')
        .send({ _csrf: csrf, text: 'plain form' });
      assert.equal(plain.status, 303);
      assert.equal((await lastMessage(ctx, conversationId))!.text, 'plain form');
      const withFile = await post({ _csrf: csrf, text: '' }).attach('files', Buffer.from('%PDF-1.4 menu'), {
        filename: 'menu.pdf',
        contentType: 'application/pdf',
      });
      assert.equal(withFile.status, 303);
      const m = (await lastMessage(ctx, conversationId))!;
      const files = await ctx.deps.db.all<{ type: string; name: string; size: number }>(
        'SELECT type, name, size FROM attachments WHERE message_id = ?',
        [m.id],
      );
      assert.deepEqual(files, [{ type: 'file', name: 'menu.pdf', size: 13 }]);
    });

    it('should store a note as kind "note", never in the outbox, without assigning', async () => {
      const res = await post({ _csrf: csrf, mode: 'note', text: 'Customer is a regular; offer the discount.' });
      assert.equal(res.status, 303);
      const m = (await lastMessage(ctx, conversationId))!;
      assert.equal(m.kind, 'note');
      assert.equal(m.status, 'note');
      assert.equal(m.sent_by_user_id, ctx.staffId);
      assert.equal(await count(ctx, 'SELECT 1 FROM outbox'), 0);
      await ctx.deps.outbox.kick();
      assert.equal((await lastMessage(ctx, conversationId))!.status, 'note');
      assert.equal((await conversation(ctx, conversationId)).assignee_id, null);
      const page = await agent.get(`/conversations/${conversationId}`);
      assert.match(page.text, /kind-note/);
      assert.match(page.text, /Private note · not sent/);
      // Not the customer-facing preview either.
      assert.doesNotMatch(rowHtml(page.text, conversationId), /regular/);
    });

    it('should take a note even when the window is closed', async () => {
      await ctx.deps.db.run('UPDATE conversations SET last_inbound_at = ? WHERE id = ?', [Date.now() - 10 * DAY, conversationId]);
      const res = await post({ _csrf: csrf, mode: 'note', text: 'Call them instead.' });
      assert.equal(res.status, 303);
      assert.equal((await lastMessage(ctx, conversationId))!.kind, 'note');
    });

    it('should answer 400 with the reason on the page when the reply is empty', async () => {
      const res = await post({ _csrf: csrf, mode: 'reply', text: '   ' });
      assert.equal(res.status, 400);
      assert.match(res.text, /<p class="alert alert-error" role="alert">Write a message or attach a file\.<\/p>/);
      assert.match(res.text, /id="composer"/);
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE direction = 'out'"), 0);
      const note = await post({ _csrf: csrf, mode: 'note', text: '' });
      assert.equal(note.status, 400);
      assert.match(note.text, /Write something in the note\./);
    });

    it('should answer 422 with why, keeping the draft, when the window is closed', async () => {
      await ctx.deps.db.run('UPDATE conversations SET last_inbound_at = ? WHERE id = ?', [Date.now() - 8 * DAY, conversationId]);
      const res = await post({ _csrf: csrf, mode: 'reply', text: 'Sorry for the late answer' });
      assert.equal(res.status, 422);
      assert.match(
        res.text,
        /More than 7 days have passed since the customer wrote; Messenger allows no reply until they write again\./,
      );
      assert.match(res.text, /<textarea id="composer-text" name="text"[^>]*>Sorry for the late answer<\/textarea>/);
      assert.match(res.text, /You can't reply on Messenger right now\./);
      // What is still possible: a private note (Reply is disabled, so it must not be the checked one).
      assert.match(res.text, /<input type="radio" name="mode" value="reply"\s+disabled>/);
      assert.match(res.text, /<input type="radio" name="mode" value="note" checked>/);
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE direction = 'out'"), 0);
      assert.equal(await count(ctx, 'SELECT 1 FROM outbox'), 0);
    });

    it('should explain the Human Agent tag between 24 hours and 7 days', async () => {
      await ctx.deps.db.run('UPDATE conversations SET last_inbound_at = ? WHERE id = ?', [
        Date.now() - 30 * HOUR,
        conversationId,
      ]);
      const res = await post({ _csrf: csrf, text: 'Still there?' });
      assert.equal(res.status, 422);
      assert.match(res.text, /Enable the Human Agent tag in Settings to answer until day 7\./);
      assert.match(res.text, />Still there\?<\/textarea>/);
    });

    it('should refuse a post without the CSRF token (multipart and urlencoded) with 403, storing nothing', async () => {
      const multipart = await post({ text: 'forged' });
      assert.equal(multipart.status, 403);
      assert.match(multipart.text, /This form has expired/);
      const form = await agent.post(`/conversations/${conversationId}/messages`).type('form').send({ text: 'forged' });
      assert.equal(form.status, 403);
      const wrong = await post({ _csrf: 'not-the-token', text: 'forged' });
      assert.equal(wrong.status, 403);
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE direction = 'out'"), 0);
    });

    it('should accept the token in X-CSRF-Token (htmx)', async () => {
      const res = await agent
        .post(`/conversations/${conversationId}/messages`)
        .set('X-CSRF-Token', csrf)
        .field('text', 'via htmx');
      assert.equal(res.status, 303);
      assert.equal((await lastMessage(ctx, conversationId))!.text, 'via htmx');
    });

    it('should answer 404 for an unknown conversation', async () => {
      const res = await post({ _csrf: csrf, text: 'hello' }, '/conversations/99999/messages');
      assert.equal(res.status, 404);
    });
  });

  describe('POST /conversations/:id/messages/:messageId/retry', () => {
    it('should put a failed reply back in the outbox and send it again', async () => {
      const { agent, csrf } = await signIn(ctx.app, STAFF);
      await agent.post(`/conversations/${conversationId}/messages`).type('form').send({ _csrf: csrf, text: 'Will this go?' });
      await ctx.deps.outbox.kick();
      const { id } = (await lastMessage(ctx, conversationId))!;
      await ctx.deps.db.run(
        "UPDATE messages SET status = 'failed', error_code = 'graph-error', error_message = 'Meta was down' WHERE id = ?",
        [id],
      );
      await ctx.deps.db.run("UPDATE outbox SET state = 'failed', attempts = 10 WHERE message_id = ?", [id]);
      const page = await agent.get(`/conversations/${conversationId}`);
      assert.match(page.text, /Meta was down/);
      assert.match(page.text, new RegExp(`action="/conversations/${conversationId}/messages/${id}/retry"`));

      const res = await agent.post(`/conversations/${conversationId}/messages/${id}/retry`).type('form').send({ _csrf: csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/conversations/${conversationId}?status=open&who=all`);
      await ctx.deps.outbox.kick();
      const m = (await ctx.deps.db.get<{ status: string; error_message: string | null }>(
        'SELECT status, error_message FROM messages WHERE id = ?',
        [id],
      ))!;
      assert.deepEqual(m, { status: 'sandbox', error_message: null });
      assert.equal(
        (await ctx.deps.db.get<{ state: string }>('SELECT state FROM outbox WHERE message_id = ?', [id]))!.state,
        'done',
      );
    });

    it('should answer 409 for a message that did not fail and 404 for an unknown one', async () => {
      const { agent, csrf } = await signIn(ctx.app, OWNER);
      await agent.post(`/conversations/${conversationId}/messages`).type('form').send({ _csrf: csrf, text: 'fine' });
      const { id } = (await lastMessage(ctx, conversationId))!;
      const res = await agent.post(`/conversations/${conversationId}/messages/${id}/retry`).type('form').send({ _csrf: csrf });
      assert.equal(res.status, 409);
      assert.match(res.text, /Only a failed message can be retried/);
      assert.equal(
        (await agent.post(`/conversations/${conversationId}/messages/99999/retry`).type('form').send({ _csrf: csrf })).status,
        404,
      );
    });
  });
});

function rowHtml(html: string, id: number): string {
  return new RegExp(`<li id="conv-row-${id}"[\\s\\S]*?</li>`).exec(html)![0];
}

describe('Opening a conversation with a Page connected', () => {
  let ctx: InboxContext;
  let fake: FakeGraph;
  let conversationId: number;
  beforeEach(async () => {
    fake = await startFakeGraph({ validToken: 'EAAinbox', pageId: '5005' });
    ctx = await inboxContext({
      FB_PAGE_ACCESS_TOKEN: 'EAAinbox',
      FB_PAGE_ID: '5005',
      FB_APP_SECRET: 'inbox-secret',
      GRAPH_API_URL: fake.url,
    });
    conversationId = await customerWrites(ctx, '5550001234', 'Do you deliver on Sundays?');
  });
  afterEach(async () => {
    await ctx.close();
    await fake.close();
  });

  const seen = (agent: Agent, csrf: string, id = conversationId) =>
    agent.post(`/conversations/${id}/seen`).set('X-CSRF-Token', csrf);

  it('should mark it read when opened, and tell Messenger nothing until the page says it is seen', async () => {
    assert.equal((await conversation(ctx, conversationId)).unread_count, 1);
    const { agent, csrf } = await signIn(ctx.app, OWNER);
    const res = await agent.get(`/conversations/${conversationId}`);
    assert.equal((await conversation(ctx, conversationId)).unread_count, 0);
    // The page already shows it read: no unread badge, and nothing for the tab title.
    assert.doesNotMatch(res.text, /aria-label="1 unread"/);
    assert.match(res.text, /id="unread-total" data-count="0"/);
    assert.equal((await senderActionJobs(ctx, conversationId)).length, 0, 'a GET reaches nobody outside');
    assert.equal((await seen(agent, csrf)).status, 204);
    const jobs = await senderActionJobs(ctx, conversationId);
    assert.equal(jobs.length, 1);
    assert.deepEqual(JSON.parse(jobs[0].payload), { conversationId, action: 'mark_seen' });
    await ctx.deps.queue.kick();
    assert.deepEqual(
      fake.senderActions().map((c) => [c.params.sender_action, c.params.recipient.id]),
      [['mark_seen', '5550001234']],
    );
  });

  it('should tell Messenger once per new customer message, however often the page says so', async () => {
    const { agent, csrf } = await signIn(ctx.app, STAFF);
    await seen(agent, csrf);
    await seen(agent, csrf);
    assert.equal((await senderActionJobs(ctx, conversationId)).length, 1);
    await customerWrites(ctx, '5550001234', 'Hello?');
    await seen(agent, csrf);
    assert.equal((await senderActionJobs(ctx, conversationId)).length, 2);
  });

  it('should refuse the seen signal without the CSRF token, or from someone signed out', async () => {
    const { agent } = await signIn(ctx.app, STAFF);
    assert.equal((await agent.post(`/conversations/${conversationId}/seen`)).status, 403);
    assert.equal((await request(ctx.app).post(`/conversations/${conversationId}/seen`)).status, 403);
    assert.equal((await senderActionJobs(ctx, conversationId)).length, 0);
  });
});
