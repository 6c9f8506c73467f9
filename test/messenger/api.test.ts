import assert from 'node:assert/strict';
import request from 'supertest';
import { addUser } from '../support/browser-session';
import { attachmentEvent, uniqueMid, type FakeGraph } from '../fakes/graph';
import { PAGE_ID, bearer, conversationOf, count, inbound, postEvents, settle, liveContextPerTest, type Ctx } from './support';

describe('JSON API: /api/v1 conversations, messages, attachments', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let auth: string;
  const t0 = Date.now() - 3600_000;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    auth = await bearer(ctx);
  });

  const get = (path: string) => request(ctx.app).get(path).set('authorization', auth);
  const psids = (res: request.Response) => res.body.data.map((c: { contact: { psid: string } }) => c.contact.psid);

  /** Five conversations; psid 9005 has the newest message. 9002 and 9003 share a timestamp. */
  async function five(): Promise<void> {
    const times = { '9001': t0 + 1, '9002': t0 + 2, '9003': t0 + 2, '9004': t0 + 4, '9005': t0 + 5 };
    for (const [psid, at] of Object.entries(times)) await inbound(ctx, psid, `from ${psid}`, at);
    await ctx.deps.queue.kick();
  }

  it('should answer 401 without a token or with a wrong one', async () => {
    for (const path of ['/api/v1/conversations', '/api/v1/conversations/1/messages', '/api/v1/attachments/1']) {
      const res = await request(ctx.app).get(path);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.error.code, 'unauthorized');
    }
    const wrong = await request(ctx.app).get('/api/v1/conversations').set('authorization', 'Bearer chx_nope');
    assert.equal(wrong.status, 401);
    assert.equal((await request(ctx.app).post('/api/v1/conversations/1/messages').send({ text: 'x' })).status, 401);
  });

  it('should list conversations newest activity first, in the contract\u2019s shape', async () => {
    await five();
    const res = await get('/api/v1/conversations');
    assert.equal(res.status, 200);
    assert.deepEqual(psids(res), ['9005', '9004', '9003', '9002', '9001']);
    assert.equal(res.body.next_cursor, null);
    const first = res.body.data[0];
    assert.deepEqual(Object.keys(first).sort(), ['contact', 'id', 'last_message_at', 'status', 'unread']);
    assert.deepEqual(first.contact, { id: first.contact.id, name: 'Customer 9005', psid: '9005' });
    assert.deepEqual([first.status, first.last_message_at, first.unread], ['open', new Date(t0 + 5).toISOString(), 1]);
  });

  it('should page with limit and cursor without skipping or repeating, ties included', async () => {
    await five();
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await get(`/api/v1/conversations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.data.length <= 2);
      seen.push(...psids(res));
      cursor = res.body.next_cursor;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['9005', '9004', '9003', '9002', '9001']);
    for (const bad of ['limit=0', 'limit=201', 'limit=abc', 'cursor=garbage', 'status=closed']) {
      const res = await get(`/api/v1/conversations?${bad}`);
      assert.equal(res.status, 400, bad);
    }
  });

  it('should filter by status', async () => {
    await five();
    const id = await conversationOf(ctx, '9002');
    assert.equal(
      (await request(ctx.app).patch(`/api/v1/conversations/${id}`).set('authorization', auth).send({ status: 'resolved' }))
        .status,
      200,
    );
    assert.deepEqual(psids(await get('/api/v1/conversations?status=resolved')), ['9002']);
    assert.deepEqual(psids(await get('/api/v1/conversations?status=open')), ['9005', '9004', '9003', '9001']);
    assert.deepEqual(psids(await get('/api/v1/conversations?status=pending')), []);
  });

  it('should list a conversation\u2019s messages in the contract\u2019s shape', async () => {
    await inbound(ctx, '9001', 'hello', t0);
    const url = fake.serveFile('/cdn/p.jpg', Buffer.from('jpeg'), 'image/jpeg');
    await postEvents(ctx, [
      attachmentEvent({
        pageId: PAGE_ID,
        psid: '9001',
        mid: uniqueMid(),
        attachments: [{ type: 'image', payload: { url } }],
        timestamp: t0 + 1,
      }),
    ]);
    await ctx.deps.queue.kick();
    const id = await conversationOf(ctx, '9001');
    const sent = await request(ctx.app)
      .post(`/api/v1/conversations/${id}/messages`)
      .set('authorization', auth)
      .send({ text: 'Thanks!' });
    assert.equal(sent.status, 202);
    assert.deepEqual(sent.body, { id: sent.body.id, status: 'queued' });
    await settle(ctx);
    const res = await get(`/api/v1/conversations/${id}/messages`);
    assert.equal(res.status, 200);
    const [a, b, c] = res.body.data;
    assert.deepEqual(a, {
      id: a.id,
      direction: 'in',
      text: 'hello',
      attachments: [],
      status: 'received',
      sent_by: 'contact',
      created_at: new Date(t0).toISOString(),
    });
    assert.deepEqual(b.attachments, [{ id: b.attachments[0].id, type: 'image', name: 'p.jpg', size: 4, state: 'stored' }]);
    assert.equal(b.text, null);
    assert.deepEqual([c.id, c.direction, c.text, c.status, c.sent_by], [sent.body.id, 'out', 'Thanks!', 'sent', 'user']);
    assert.equal((await get('/api/v1/conversations/999/messages')).status, 404);
    assert.equal((await get('/api/v1/conversations/abc/messages')).status, 404);
  });

  it('should refuse POST messages without usable text, or to an unknown conversation', async () => {
    await inbound(ctx, '9001', 'hello');
    const id = await conversationOf(ctx, '9001');
    const post = (conversation: number | string, body: unknown) =>
      request(ctx.app)
        .post(`/api/v1/conversations/${conversation}/messages`)
        .set('authorization', auth)
        .send(body as object);
    assert.equal((await post(id, {})).body.error.code, 'invalid-text');
    assert.equal((await post(id, { text: 42 })).status, 400);
    assert.equal((await post(id, { text: '   ' })).body.error.code, 'empty-message');
    assert.equal((await post(id, { text: 'x'.repeat(20001) })).body.error.code, 'message-too-long');
    assert.equal((await post(999, { text: 'hi' })).status, 404);
    assert.equal(await count(ctx, "messages WHERE direction = 'out'"), 0);
  });

  it('should PATCH status and assignee', async () => {
    await inbound(ctx, '9001', 'hello');
    const id = await conversationOf(ctx, '9001');
    const user = await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    const patch = (body: object, conversation: number = id) =>
      request(ctx.app).patch(`/api/v1/conversations/${conversation}`).set('authorization', auth).send(body);
    const userId = user.id;
    let res = await patch({ status: 'pending', assignee_id: userId });
    assert.deepEqual([res.status, res.body], [200, { id, status: 'pending', assignee_id: userId }]);
    res = await patch({ status: 'resolved' });
    assert.deepEqual(res.body, { id, status: 'resolved', assignee_id: userId }, 'a missing field is left alone');
    res = await patch({ assignee_id: null });
    assert.deepEqual(res.body, { id, status: 'resolved', assignee_id: null });
    assert.equal((await patch({ status: 'closed' })).body.error.code, 'invalid-status');
    assert.equal((await patch({ assignee_id: 12345 })).body.error.code, 'invalid-assignee');
    assert.equal((await patch({ status: 'open' }, 999)).status, 404);
  });

  it('should snooze through PATCH only with a time to come back, through the same workflow as the inbox', async () => {
    await inbound(ctx, '9002', 'hello');
    const id = await conversationOf(ctx, '9002');
    const patch = (body: object) => request(ctx.app).patch(`/api/v1/conversations/${id}`).set('authorization', auth).send(body);
    const state = () =>
      ctx.deps.db.get<{ status: string; snoozed_until: number | null }>(
        'SELECT status, snoozed_until FROM conversations WHERE id = ?',
        [id],
      );

    let res = await patch({ status: 'snoozed' });
    assert.deepEqual([res.status, res.body.error.code], [400, 'invalid-snooze'], 'a snooze that would never wake is refused');
    res = await patch({ status: 'snoozed', snoozed_until: 'tomorrow-ish' });
    assert.deepEqual([res.status, res.body.error.code], [400, 'invalid-snooze']);
    res = await patch({ status: 'snoozed', snoozed_until: new Date(Date.now() - 60_000).toISOString() });
    assert.deepEqual([res.status, res.body.error.code], [400, 'invalid-snooze'], 'a time in the past is refused');
    res = await patch({ status: 'snoozed', snoozed_until: new Date(Date.now() - 60_000).toISOString(), assignee_id: 12345 });
    assert.equal(res.status, 400);
    assert.deepEqual(await state(), { status: 'open', snoozed_until: null }, 'nothing changed by a refused PATCH');

    const until = Date.now() + 3600_000;
    res = await patch({ status: 'snoozed', snoozed_until: new Date(until).toISOString() });
    assert.deepEqual([res.status, res.body.status], [200, 'snoozed']);
    assert.deepEqual(await state(), { status: 'snoozed', snoozed_until: until });
    assert.equal(await ctx.deps.workflow.wakeSnoozed(until + 1), 1, 'the cron job wakes it when its time comes');
    assert.deepEqual(await state(), { status: 'open', snoozed_until: null });
  });
});
