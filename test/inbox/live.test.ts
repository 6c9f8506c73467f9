import assert from 'node:assert/strict';
import request from 'supertest';
import { setPassword } from '../../src/auth/users';
import {
  customersWrite,
  customerWrites,
  inboxContext,
  lastMessage,
  listen,
  OWNER,
  sessionCookie,
  SseStream,
  STAFF,
  type InboxContext,
} from './support';

const EVENT_ID = /^[0-9a-f]{8}:\d+$/;

describe('GET /events (the live stream)', () => {
  let ctx: InboxContext;
  let server: { url: string; close(): Promise<void> };
  let owner: { cookie: string; csrf: string };
  let staff: { cookie: string; csrf: string };
  let conversationId: number;
  const streams: SseStream[] = [];

  beforeEach(async () => {
    ctx = await inboxContext();
    server = await listen(ctx);
    owner = await sessionCookie(ctx, OWNER);
    staff = await sessionCookie(ctx, STAFF);
    conversationId = await customerWrites(ctx, '4440001111', 'First message');
  });

  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await server.close();
    await ctx.close();
  });

  async function open(who: { cookie: string }, query: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const stream = await SseStream.open(`${server.url}/events?${query}`, { Cookie: who.cookie, ...headers });
    streams.push(stream);
    assert.equal(stream.status, 200);
    return stream;
  }

  const cursor = () => ctx.deps.live.cursor();
  const post = (who: { cookie: string; csrf: string }, path: string, body: Record<string, string> = {}) =>
    request(ctx.app)
      .post(path)
      .set('Cookie', who.cookie)
      .type('form')
      .send({ _csrf: who.csrf, ...body });

  it("should push a new message to the conversation's stream and its row to every list, within a second", async () => {
    const onConversation = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
    const onList = await open(staff, `status=open&who=all&since=${cursor()}`);
    await customerWrites(ctx, '4440001111', 'Are you open today?');
    const { id } = (await lastMessage(ctx, conversationId))!;

    const message = await onConversation.waitForData(`id="message-${id}"`, 1000);
    assert.equal(message.event, 'update');
    assert.match(message.id!, EVENT_ID);
    assert.match(message.data, /hx-swap-oob="true"/);
    assert.match(message.data, /Are you open today\?/);
    // (An earlier row event may come first: the new contact's profile name landing.)
    const row = await onList.waitFor(
      (e) => e.data.includes(`id="conv-row-${conversationId}"`) && e.data.includes('Are you open today?'),
      1000,
      'the row with the new message',
    );
    assert.match(row.data, /id="unread-total" data-count="\d+"/);
    // The owner has the conversation open, so the new message is read as it arrives.
    await onList.waitFor((e) => e.data.includes('id="unread-total" data-count="0"'), 1000, 'the unread count back to 0');
    assert.equal(
      (await ctx.deps.db.get<{ unread_count: number }>('SELECT unread_count FROM conversations WHERE id = ?', [conversationId]))
        ?.unread_count,
      0,
    );
    await onConversation.waitForData(`id="conv-row-${conversationId}"`, 1000);
    // The list alone never gets the conversation's messages.
    assert.equal(await onList.seenWithin(`id="message-${id}"`), false);
  });

  it('should push a reply, then its status change, and private notes', async () => {
    const onConversation = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
    const reply = await post(staff, `/conversations/${conversationId}/messages`, { text: 'We are!' });
    assert.equal(reply.status, 303);
    const { id } = (await lastMessage(ctx, conversationId))!;
    await onConversation.waitForData(`id="message-${id}"`);
    await ctx.deps.outbox.kick();
    const sent = await onConversation.waitFor(
      (e) => e.data.includes(`id="message-${id}"`) && e.data.includes('data-status="sandbox"'),
      3000,
      'the sandbox status',
    );
    assert.match(sent.data, /sandbox \(not sent to Meta\)/);

    await post(staff, `/conversations/${conversationId}/messages`, { text: 'Regular customer', mode: 'note' });
    const note = (await lastMessage(ctx, conversationId))!;
    const pushed = await onConversation.waitForData(`id="message-${note.id}"`);
    assert.match(pushed.data, /kind-note/);
    assert.match(pushed.data, /Private note · not sent/);
  });

  describe('catching up', () => {
    it('should replay a commit made after the cursor was taken but before the stream connected (no gap)', async () => {
      const since = cursor();
      await customerWrites(ctx, '4440001111', 'Sent while the page was loading');
      const { id } = (await lastMessage(ctx, conversationId))!;
      const stream = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${since}`);
      const replayed = await stream.waitForData(`id="message-${id}"`);
      assert.match(replayed.id!, EVENT_ID);
      await stream.waitForData(`id="conv-row-${conversationId}"`);
      // A catch-up, not a full resync.
      assert.equal(await stream.seenWithin('id="conversation-list"'), false);
    });

    it('should catch up from the cursor embedded in the rendered page', async () => {
      const page = await request(ctx.app).get(`/conversations/${conversationId}`).set('Cookie', owner.cookie);
      const connect = /sse-connect="\/events\?([^"]+)"/.exec(page.text)![1].replace(/&amp;/g, '&');
      await customerWrites(ctx, '4440001111', 'Between render and connect');
      const { id } = (await lastMessage(ctx, conversationId))!;
      const stream = await open(owner, connect);
      const replayed = await stream.waitForData(`id="message-${id}"`);
      assert.match(replayed.data, /Between render and connect/);
    });

    it('should resume from Last-Event-ID after a reconnect, without repeating what was seen', async () => {
      const first = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
      await customerWrites(ctx, '4440001111', 'seen before the drop');
      const seen = (await lastMessage(ctx, conversationId))!;
      await first.waitForData(`id="message-${seen.id}"`);
      const lastId = first.events.filter((e) => e.id).at(-1)!.id!;
      first.close();
      await customerWrites(ctx, '4440001111', 'missed during the drop');
      const missed = (await lastMessage(ctx, conversationId))!;
      // The browser reconnects to the same URL (old since) but sends the last id it saw.
      const again = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${lastId.split(':')[0]}:0`, {
        'Last-Event-ID': lastId,
      });
      await again.waitForData(`id="message-${missed.id}"`);
      assert.equal(
        again.events.some((e) => e.data.includes(`id="message-${seen.id}"`)),
        false,
      );
    });

    it('should send nothing old to a stream that is up to date', async () => {
      await customerWrites(ctx, '4440001111', 'old news');
      const { id } = (await lastMessage(ctx, conversationId))!;
      const stream = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
      assert.equal(await stream.seenWithin(`id="message-${id}"`), false);
      assert.equal(await stream.seenWithin('id="conversation-list"', 0), false);
    });

    for (const [what, since] of [
      ['an unknown epoch (a server restart)', '0badc0de:3'],
      ['a cursor from the future', 'EPOCH:999999'],
      ['a malformed cursor', 'yesterday'],
      ['no cursor', ''],
    ] as const) {
      it(`should resync everything for ${what}`, async () => {
        const value = since.replace('EPOCH', ctx.deps.live.epoch);
        const stream = await open(owner, `status=open&who=all&conversation=${conversationId}${value ? `&since=${value}` : ''}`);
        const resync = await stream.waitForData('id="conversation-list"');
        assert.match(resync.data, /<ul class="conversation-list" id="conversation-list" data-order="desc"\s+hx-swap-oob="true">/);
        assert.match(resync.data, new RegExp(`id="conv-row-${conversationId}"`));
        assert.match(resync.data, /<ol class="messages" id="messages" aria-label="Messages" hx-swap-oob="true">/);
        assert.match(resync.data, /First message/);
        assert.match(resync.data, /id="unread-total"/);
        // Its id is the current cursor, so the browser's next reconnect resumes from here.
        assert.equal(resync.id, cursor());
      });
    }

    it('should resync a long list with its "older" link keeping the filter', async () => {
      const now = Date.now();
      await customersWrite(
        ctx,
        Array.from({ length: 55 }, (_, i) => ({ psid: String(3000000000 + i), text: `n${i}`, at: now - (i + 1) * 1000 })),
      );
      const stream = await open(staff, 'status=open&who=unassigned&since=0badc0de:1');
      const resync = await stream.waitForData('id="conversation-list"');
      assert.match(
        resync.data,
        /<li id="list-more"><a class="button small more" href="\/\?status=open&amp;who=unassigned&(amp;)?cursor=\d+%3A\d+">/,
      );
      assert.match(resync.data, new RegExp(`href="/conversations/${conversationId}\\?status=open&amp;who=unassigned"`));
    });
  });

  describe('the list follows its filter', () => {
    it('should delete a row that leaves the filter (resolved while viewing Open) and add it to Resolved', async () => {
      const openList = await open(owner, `status=open&who=all&since=${cursor()}`);
      const resolvedList = await open(staff, `status=resolved&who=all&since=${cursor()}`);
      const res = await post(owner, `/conversations/${conversationId}/status`, { status: 'resolved' });
      assert.equal(res.status, 303);
      const gone = await openList.waitForData(`conv-row-${conversationId}`);
      assert.match(gone.data, new RegExp(`<li id="conv-row-${conversationId}" hx-swap-oob="delete"></li>`));
      const added = await resolvedList.waitForData(`conv-row-${conversationId}`);
      assert.match(
        added.data,
        new RegExp(`<li id="conv-row-${conversationId}" class="conversation-row[^"]*"[^>]*hx-swap-oob="true">`),
      );
    });

    it('should follow "mine": assigning to someone else removes the row from my list', async () => {
      await ctx.deps.workflow.assign(conversationId, ctx.ownerId);
      const mine = await open(owner, `status=open&who=mine&since=${cursor()}`);
      await post(staff, `/conversations/${conversationId}/assign`, { assignee_id: 'me' });
      await mine.waitFor(
        (e) => e.data.includes(`<li id="conv-row-${conversationId}" hx-swap-oob="delete">`),
        3000,
        'the row deleted',
      );
    });

    it("should refresh the open conversation's header, keeping the assignee choices", async () => {
      const stream = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
      await post(owner, `/conversations/${conversationId}/assign`, { assignee_id: String(ctx.staffId) });
      const head = await stream.waitForData('id="thread-head"');
      assert.match(head.data, /assigned to Sam Staff/);
      assert.match(head.data, new RegExp(`value="${ctx.staffId}" class="popover-item" aria-pressed="true">Sam Staff<`));
      assert.match(
        head.data,
        new RegExp(`value="${ctx.ownerId}" class="popover-item" aria-pressed="false">Olivia Owner \\(me\\)<`),
      );
    });
  });

  describe('presence', () => {
    it('should tell each person on a conversation who else is viewing, and who is replying', async () => {
      const first = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
      const second = await open(staff, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
      const seen = await first.waitForData('Sam Staff is viewing');
      assert.match(seen.data, /<p id="presence" class="presence small" aria-live="polite" hx-swap-oob="true">/);
      await second.waitForData('Olivia Owner is viewing');

      const typing = await request(ctx.app)
        .post(`/conversations/${conversationId}/typing`)
        .set('Cookie', staff.cookie)
        .set('X-CSRF-Token', staff.csrf);
      assert.equal(typing.status, 204);
      await first.waitForData('Sam Staff is replying…');
      // Nobody is told about themselves.
      assert.equal(
        second.events.some((e) => e.data.includes('Sam Staff is')),
        false,
      );

      second.close();
      await first.waitFor((e) => /<p id="presence"[^>]*><\/p>/.test(e.data), 3000, 'an empty presence line');
    });

    it('should not show presence across different conversations', async () => {
      const other = await customerWrites(ctx, '4440002222', 'Another customer');
      const first = await open(owner, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
      await open(staff, `status=open&who=all&conversation=${other}&since=${cursor()}`);
      assert.equal(await first.seenWithin('is viewing'), false);
    });
  });

  it('should take an erased conversation off every list, and its messages off the tab that shows it', async () => {
    const onConversation = await open(staff, `status=open&who=all&conversation=${conversationId}&since=${cursor()}`);
    const onList = await open(owner, `status=open&who=all&since=${cursor()}`);
    const { id: contactId } = (await ctx.deps.db.get<{ id: number }>('SELECT contact_id AS id FROM conversations WHERE id = ?', [
      conversationId,
    ]))!;
    await ctx.deps.deletions.eraseNow(contactId, { actor: OWNER });
    const gone = `<li id="conv-row-${conversationId}" hx-swap-oob="delete"></li>`;
    await onList.waitForData(gone, 1000);
    const erased = await onConversation.waitForData('This conversation was deleted', 1000);
    assert.match(erased.data, /id="inbox-detail" hx-swap-oob="true"/);
    assert.doesNotMatch(erased.data, /First message/);
  });

  it('should send a signed-out request to sign in', async () => {
    const res = await request(ctx.app).get('/events?status=open').set('Accept', 'text/event-stream');
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /^\/login\?next=/);
  });

  describe('ends with the session', () => {
    /** Resolves true when the stream ends within `ms`, false when it is still open. */
    const endsWithin = (stream: SseStream, ms: number) =>
      Promise.race([stream.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

    it("should stop a stream the moment its tab signs out, close it soon after, and leave the person's other sessions streaming", async () => {
      const mine = await open(staff, `status=open&who=all&since=${cursor()}`);
      const other = await sessionCookie(ctx, STAFF);
      const elsewhere = await open(other, `status=open&who=all&since=${cursor()}`);
      assert.equal((await post(staff, '/logout')).status, 303);
      await customerWrites(ctx, '4440001111', 'Said after the sign-out');
      await elsewhere.waitForData('Said after the sign-out', 1000);
      assert.equal(
        mine.events.some((e) => e.data.includes('Said after the sign-out')),
        false,
        'nothing after the sign-out',
      );
      assert.equal(await endsWithin(mine, 3000), true);
      assert.equal(await endsWithin(elsewhere, 300), false, 'only that session ended');
      const again = await request(ctx.app).get('/events?status=open').set('Cookie', staff.cookie);
      assert.equal(again.status, 303, 'the reconnect is sent to sign in');
    });

    it('should end every stream of a person the owner disables or removes', async () => {
      const stream = await open(staff, `status=open&who=all&since=${cursor()}`);
      assert.equal((await post(owner, `/users/${ctx.staffId}/disable`)).status, 303);
      assert.equal(await endsWithin(stream, 1000), true);
      await customerWrites(ctx, '4440001111', 'Nobody signed out should read this');
      assert.equal(
        stream.events.some((e) => e.data.includes('Nobody signed out')),
        false,
      );
    });

    it('should end the streams of a person whose password changed, at the next session check', async () => {
      const stream = await open(staff, `status=open&who=all&since=${cursor()}`);
      const ownerStream = await open(owner, `status=open&who=all&since=${cursor()}`);
      // As the CLI does it, from another process: this server learns it from the database.
      await setPassword(ctx.deps.db, ctx.staffId, 'a brand new password');
      await ctx.deps.live.checkSessions();
      assert.equal(await endsWithin(stream, 1000), true);
      assert.equal(await endsWithin(ownerStream, 300), false);
    });

    it('should end a stream whose session expired while it was open', async () => {
      const stream = await open(staff, `status=open&who=all&since=${cursor()}`);
      await ctx.deps.db.run('UPDATE sessions SET expires_at = ? WHERE user_id = ?', [Date.now() - 1, ctx.staffId]);
      await ctx.deps.live.checkSessions();
      assert.equal(await endsWithin(stream, 1000), true);
    });
  });
});
