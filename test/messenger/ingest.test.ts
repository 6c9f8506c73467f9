import assert from 'node:assert/strict';
import request from 'supertest';
import {
  attachmentEvent,
  editEvent,
  entry,
  pageBody,
  postbackEvent,
  reactionEvent,
  referralEvent,
  textEvent,
  uniqueMid,
  type FakeGraph,
} from '../fakes/graph';
import {
  PAGE_ID,
  bearer,
  conversationOf,
  count,
  inbound,
  messages,
  postEvents,
  postSigned,
  liveContextPerTest,
  type Ctx,
} from './support';

describe('Webhook ingest', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));

  const text = (psid: string, body: string, timestamp = Date.now(), mid = uniqueMid()) =>
    textEvent({ pageId: PAGE_ID, psid, mid, text: body, timestamp });

  it('should store every event of every entry, messaging and standby alike', async () => {
    const t = Date.now() - 10_000;
    const body = pageBody([
      entry(PAGE_ID, [text('8001', 'a1', t), text('8002', 'b1', t + 1), text('8001', 'a2', t + 2)]),
      entry(PAGE_ID, [text('8003', 'c1', t + 3), text('8002', 'b2', t + 4)]),
      entry(PAGE_ID, [text('8004', 'standby 1', t + 5), text('8004', 'standby 2', t + 6)], { standby: true }),
    ]);
    assert.equal((await postSigned(ctx, body)).status, 200);
    assert.equal(await count(ctx, 'messages'), 7);
    assert.equal(await count(ctx, 'contacts'), 4);
    assert.equal(await count(ctx, 'conversations'), 4);
    assert.deepEqual(
      (await messages(ctx, await conversationOf(ctx, '8001'))).map((m) => m.text),
      ['a1', 'a2'],
    );
    assert.deepEqual(
      (await messages(ctx, await conversationOf(ctx, '8004'))).map((m) => m.text),
      ['standby 1', 'standby 2'],
    );
    // One profile lookup per new contact, not per message.
    assert.equal(await count(ctx, "jobs WHERE kind = 'messenger.profile'"), 4);
  });

  it('should store the same body delivered twice once', async () => {
    const body = pageBody([
      entry(PAGE_ID, [
        text('8001', 'once'),
        reactionEvent({ pageId: PAGE_ID, psid: '8001', mid: 'nope', action: 'react', emoji: '❤' }),
      ]),
    ]);
    assert.equal((await postSigned(ctx, body)).status, 200);
    assert.equal((await postSigned(ctx, body)).status, 200);
    assert.equal(await count(ctx, 'messages'), 1);
    assert.equal(await count(ctx, 'contacts'), 1);
    assert.equal(await count(ctx, 'jobs'), 1);
    const [c] = await ctx.deps.db.all<{ unread_count: number }>('SELECT unread_count FROM conversations');
    assert.equal(c.unread_count, 1);
  });

  it('should store a mid once when it comes again in a different body', async () => {
    const mid = uniqueMid();
    await postEvents(ctx, [text('8001', 'first', Date.now(), mid)]);
    await postEvents(ctx, [text('8001', 'other'), text('8001', 'first again', Date.now(), mid)]);
    assert.deepEqual((await messages(ctx)).map((m) => m.text).sort(), ['first', 'other']);
  });

  it('should take the event timestamp as the message time and order by it, whatever the arrival order', async () => {
    const t = Date.now() - 60_000;
    // Reversed inside one body, then an older message arriving in a later body.
    await postEvents(ctx, [text('8001', 'third', t + 30), text('8001', 'second', t + 20)]);
    await postEvents(ctx, [text('8001', 'first', t + 10)]);
    const id = await conversationOf(ctx, '8001');
    const rows = await messages(ctx, id);
    assert.deepEqual(
      rows.map((m) => [m.text, m.created_at]),
      [
        ['first', t + 10],
        ['second', t + 20],
        ['third', t + 30],
      ],
    );
    const conv = await ctx.deps.db.get<{ last_message_at: number; last_inbound_at: number; last_message_preview: string }>(
      'SELECT last_message_at, last_inbound_at, last_message_preview FROM conversations WHERE id = ?',
      [id],
    );
    assert.deepEqual(conv, { last_message_at: t + 30, last_inbound_at: t + 30, last_message_preview: 'third' });
    const api = await request(ctx.app)
      .get(`/api/v1/conversations/${id}/messages`)
      .set('authorization', await bearer(ctx));
    assert.deepEqual(
      api.body.data.map((m: { text: string }) => m.text),
      ['first', 'second', 'third'],
    );
    assert.equal(api.body.data[0].created_at, new Date(t + 10).toISOString());
  });

  it('should order conversations by their newest message time, not by arrival', async () => {
    const t = Date.now() - 60_000;
    await postEvents(ctx, [text('8001', 'newer', t + 500)]);
    await postEvents(ctx, [text('8002', 'older, delivered late', t)]);
    const res = await request(ctx.app)
      .get('/api/v1/conversations')
      .set('authorization', await bearer(ctx));
    assert.deepEqual(
      res.body.data.map((c: { contact: { psid: string } }) => c.contact.psid),
      ['8001', '8002'],
    );
  });

  it('should keep the quick reply payload and the replied-to mid', async () => {
    const first = await inbound(ctx, '8001', 'Which size?');
    await postEvents(ctx, [
      textEvent({ pageId: PAGE_ID, psid: '8001', mid: uniqueMid(), text: 'Large', quickReplyPayload: 'SIZE_L' }),
      textEvent({ pageId: PAGE_ID, psid: '8001', mid: uniqueMid(), text: 'about this', replyToMid: first, isSelfReply: true }),
    ]);
    const rows = await messages(ctx);
    assert.equal(rows.find((m) => m.text === 'Large')!.quick_reply, 'SIZE_L');
    assert.equal(rows.find((m) => m.text === 'about this')!.reply_to_mid, first);
  });

  it('should store a postback as a button tap with its payload, and its referral on the contact', async () => {
    const mid = uniqueMid('m_pb');
    const pb = postbackEvent({
      pageId: PAGE_ID,
      psid: '8001',
      mid,
      title: 'Get Started',
      payload: 'GET_STARTED',
      referral: { ref: 'summer-sale', source: 'SHORTLINK', type: 'OPEN_THREAD' },
    });
    await postEvents(ctx, [pb]);
    await postEvents(ctx, [pb]);
    const rows = await messages(ctx);
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0].kind, rows[0].text, rows[0].direction, JSON.parse(rows[0].metadata!).payload],
      ['postback', 'Get Started', 'in', 'GET_STARTED'],
    );
    const contact = await ctx.deps.db.get('SELECT referral_ref, referral_source, lead_source FROM contacts');
    assert.deepEqual(contact, { referral_ref: 'summer-sale', referral_source: 'SHORTLINK', lead_source: 'shortlink' });
  });

  it('should keep a referral (ad or m.me link) on the contact as lead source data', async () => {
    const t = Date.now();
    const ref = referralEvent({
      pageId: PAGE_ID,
      psid: '8001',
      ref: 'ad-campaign-7',
      source: 'ADS',
      adId: '6045246247433',
      timestamp: t,
    });
    await postEvents(ctx, [ref]);
    await postEvents(ctx, [ref]);
    const contact = await ctx.deps.db.get(
      'SELECT referral_ref, referral_source, referral_ad_id, lead_source FROM contacts WHERE psid = ?',
      ['8001'],
    );
    assert.deepEqual(contact, {
      referral_ref: 'ad-campaign-7',
      referral_source: 'ADS',
      referral_ad_id: '6045246247433',
      lead_source: 'ads',
    });
    // Re-entering the thread opens the window, without inventing a message.
    assert.equal(await count(ctx, 'messages'), 0);
    const conv = await ctx.deps.db.get<{ last_inbound_at: number }>('SELECT last_inbound_at FROM conversations');
    assert.equal(conv!.last_inbound_at, t);
  });

  it('should set and clear a reaction on the message it targets', async () => {
    const mid = await inbound(ctx, '8001', 'look at this');
    const t = Date.now() + 1000;
    await postEvents(ctx, [
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid, action: 'react', reaction: 'love', emoji: '❤', timestamp: t }),
    ]);
    assert.equal((await messages(ctx))[0].reaction, '❤');
    await postEvents(ctx, [
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid, action: 'unreact', reaction: 'love', emoji: '❤', timestamp: t + 1 }),
    ]);
    assert.equal((await messages(ctx))[0].reaction, null);
    assert.equal(await count(ctx, 'messages'), 1);
  });

  it('should let the newest reaction win when react and unreact arrive out of order', async () => {
    const mid = await inbound(ctx, '8001', 'look at this');
    const t = Date.now() + 1000;
    // Meta retried the older "react" after delivering the newer "unreact".
    await postEvents(ctx, [
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid, action: 'unreact', reaction: 'love', emoji: '❤', timestamp: t + 1 }),
    ]);
    await postEvents(ctx, [
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid, action: 'react', reaction: 'love', emoji: '❤', timestamp: t }),
    ]);
    assert.equal((await messages(ctx))[0].reaction, null);
    await postEvents(ctx, [
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid, action: 'react', reaction: 'wow', emoji: '😮', timestamp: t + 2 }),
    ]);
    assert.equal((await messages(ctx))[0].reaction, '😮');
  });

  it('should apply a message_edit, and never let an older edit overwrite a newer one', async () => {
    const t = Date.now();
    const mid = await inbound(ctx, '8001', 'helo', t);
    await postEvents(ctx, [editEvent({ pageId: PAGE_ID, psid: '8001', mid, text: 'hello!', numEdit: 2, timestamp: t + 2000 })]);
    await postEvents(ctx, [editEvent({ pageId: PAGE_ID, psid: '8001', mid, text: 'hello', numEdit: 1, timestamp: t + 1000 })]);
    const [m] = await messages(ctx);
    assert.equal(m.text, 'hello!');
    assert.equal(m.edited_at, t + 2000);
    assert.equal(m.created_at, t);
  });

  it('should reopen a resolved or snoozed conversation when the customer writes again', async () => {
    await inbound(ctx, '8001', 'thanks, bye');
    const id = await conversationOf(ctx, '8001');
    const auth = await bearer(ctx);
    const later = new Date(Date.now() + 3600_000).toISOString();
    for (const change of [{ status: 'resolved' }, { status: 'snoozed', snoozed_until: later }]) {
      const { status } = change;
      assert.equal(
        (await request(ctx.app).patch(`/api/v1/conversations/${id}`).set('authorization', auth).send(change)).status,
        200,
      );
      await inbound(ctx, '8001', `one more thing (${status})`);
      const c = await ctx.deps.db.get<{ status: string }>('SELECT status FROM conversations WHERE id = ?', [id]);
      assert.equal(c!.status, 'open');
    }
    assert.equal(await count(ctx, 'conversations'), 1);
  });

  it('should keep one contact per PSID, and take no event for another Page (an app may serve several)', async () => {
    await inbound(ctx, '8001', 'a');
    await inbound(ctx, '8001', 'b');
    await inbound(ctx, '8001', 'other page', Date.now(), '999000111');
    assert.equal(await count(ctx, 'contacts'), 1);
    assert.equal(await count(ctx, 'conversations'), 1);
    assert.deepEqual(
      (await messages(ctx)).map((m) => m.text),
      ['a', 'b'],
    );
  });

  // Plain text messages of a batch are written together (conversations/plain-messages.ts); these
  // check that doing so changes nothing a customer or the inbox could notice.
  it('should apply a reaction and an edit that arrive in the same body as the message they target', async () => {
    const t = Date.now() - 5000;
    const mid = uniqueMid();
    await postEvents(ctx, [
      text('8001', 'helo', t, mid),
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid, action: 'react', reaction: 'love', emoji: '❤', timestamp: t + 1 }),
      editEvent({ pageId: PAGE_ID, psid: '8001', mid, text: 'hello', numEdit: 1, timestamp: t + 2 }),
      text('8001', 'are you there?', t + 3),
    ]);
    const rows = await messages(ctx);
    assert.deepEqual(
      rows.map((m) => [m.text, m.reaction, m.edited_at]),
      [
        ['hello', '❤', t + 2],
        ['are you there?', null, null],
      ],
    );
  });

  it('should store a mid repeated inside one body once, and count unread and the preview as if applied one by one', async () => {
    const t = Date.now() - 5000;
    const mid = uniqueMid();
    const created: number[] = [];
    const off = ctx.deps.bus.on('message', (m) => m.change === 'created' && created.push(m.messageId));
    try {
      await postEvents(ctx, [
        text('8001', 'second', t + 20),
        text('8001', 'first', t + 10, mid),
        text('8001', 'first, retried', t + 10, mid),
        text('8001', 'third (same time as the second, arrived later)', t + 20),
        text('8002', 'someone else', t + 5),
      ]);
    } finally {
      off();
    }
    assert.equal(await count(ctx, 'messages'), 4);
    assert.equal(created.length, 4, 'one live "created" update per stored message');
    assert.equal(new Set(created).size, 4);
    const conv = await ctx.deps.db.get<{ unread_count: number; last_message_preview: string; last_message_at: number }>(
      'SELECT unread_count, last_message_preview, last_message_at FROM conversations WHERE id = ?',
      [await conversationOf(ctx, '8001')],
    );
    assert.deepEqual(conv, {
      unread_count: 3,
      last_message_preview: 'third (same time as the second, arrived later)',
      last_message_at: t + 20,
    });
  });

  it('should commit bodies that arrive together as one batch, each stored once and counted once', async () => {
    const t = Date.now() - 60_000;
    // Forty bodies at once: several are committed in one transaction (group commit). Ten people
    // write four messages each, and every fourth body is delivered twice.
    const bodies = Array.from({ length: 40 }, (_, i) =>
      pageBody([entry(PAGE_ID, [text(String(9000 + (i % 10)), `message ${i}`, t + i, `m_batch_${i}`)])]),
    );
    const answers = await Promise.all([...bodies, ...bodies.filter((_, i) => i % 4 === 0)].map((b) => postSigned(ctx, b)));
    assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([200]));
    assert.equal(await count(ctx, 'messages'), 40);
    assert.equal(await count(ctx, 'contacts'), 10);
    const rows = await ctx.deps.db.all<{ psid: string; unread_count: number; last_message_preview: string }>(
      `SELECT k.psid, c.unread_count, c.last_message_preview FROM conversations c JOIN contacts k ON k.id = c.contact_id
       ORDER BY k.psid`,
    );
    assert.deepEqual(
      rows,
      Array.from({ length: 10 }, (_, p) => ({
        psid: String(9000 + p),
        unread_count: 4,
        last_message_preview: `message ${30 + p}`,
      })),
    );
    // The ten new people were created together; each gets one profile lookup, for their own contact.
    const jobs = await ctx.deps.db.all<{ payload: string }>("SELECT payload FROM jobs WHERE kind = 'messenger.profile'");
    const contacts = await ctx.deps.db.all<{ id: number }>('SELECT id FROM contacts ORDER BY id');
    assert.deepEqual(
      jobs.map((j) => (JSON.parse(j.payload) as { contactId: number }).contactId).sort((a, b) => a - b),
      contacts.map((c) => c.id),
    );
  });

  it('should store a body of 250 messages from 250 new people, each in their own conversation', async () => {
    // Meta batches up to 1,000 events per POST; the batch writes go a hundred rows per statement.
    const t = Date.now() - 60_000;
    const people = Array.from({ length: 250 }, (_, i) => String(70000 + i));
    await postEvents(
      ctx,
      people.map((psid, i) => text(psid, `from ${psid}`, t + i)),
    );
    const rows = await ctx.deps.db.all<{ psid: string; text: string; preview: string; unread: number }>(
      `SELECT k.psid, m.text, c.last_message_preview AS preview, c.unread_count AS unread
       FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id ORDER BY k.psid`,
    );
    assert.deepEqual(
      rows,
      people.map((psid) => ({ psid, text: `from ${psid}`, preview: `from ${psid}`, unread: 1 })),
    );
    assert.equal(await count(ctx, 'conversations'), 250);
    assert.equal(await count(ctx, "jobs WHERE kind = 'messenger.profile'"), 250);
  });

  it('should create a new person once when their text, a photo and more text come in one body', async () => {
    const t = Date.now() - 5000;
    const photo = { type: 'image', payload: { url: `${fake.url}/files/cat.jpg` } };
    await postEvents(ctx, [
      text('8077', 'hello, first time here', t),
      attachmentEvent({ pageId: PAGE_ID, psid: '8077', mid: uniqueMid(), attachments: [photo], timestamp: t + 1 }),
      text('8077', 'did the photo arrive?', t + 2),
    ]);
    assert.equal(await count(ctx, 'contacts'), 1);
    assert.equal(await count(ctx, 'conversations'), 1);
    assert.deepEqual(
      (await messages(ctx, await conversationOf(ctx, '8077'))).map((m) => m.text),
      ['hello, first time here', null, 'did the photo arrive?'],
    );
    assert.equal(await count(ctx, "jobs WHERE kind = 'messenger.profile'"), 1);
    assert.equal(await count(ctx, "jobs WHERE kind = 'messenger.attachment'"), 1);
  });
});
