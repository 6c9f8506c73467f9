import assert from 'node:assert/strict';
import { outboxMetadata } from '../../src/messenger/outbox/metadata';
import { deliveryEvent, echoEvent, readEvent, uniqueMid, type FakeGraph } from '../fakes/graph';
import {
  APP_ID,
  PAGE_ID,
  conversationOf,
  count,
  dueNow,
  inbound,
  message,
  messages,
  outboxOf,
  postEvents,
  queue,
  settle,
  liveContextPerTest,
  type Ctx,
} from './support';

const PAGE_INBOX_APP = '263902037430900';

describe('Webhook echoes and receipts', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let conversationId: number;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    await inbound(ctx, '8001', 'hi', Date.now() - 60_000);
    conversationId = await conversationOf(ctx, '8001');
  });

  const echo = (opts: { mid?: string; text?: string; appId?: string; metadata?: string; timestamp?: number }) =>
    echoEvent({
      pageId: PAGE_ID,
      psid: '8001',
      mid: opts.mid ?? uniqueMid('m_echo'),
      text: opts.text ?? 'x',
      appId: opts.appId ?? APP_ID,
      metadata: opts.metadata,
      timestamp: opts.timestamp,
    });

  /** Sends a reply through the fake; returns its message id and Meta's mid. */
  async function sent(text: string): Promise<{ id: number; mid: string }> {
    const { id } = await queue(ctx, conversationId, text);
    await settle(ctx);
    const row = await message(ctx, id);
    assert.equal(row.status, 'sent');
    return { id, mid: row.mid! };
  }

  describe('echoes', () => {
    it('should reconcile the echo of our own send instead of storing it twice', async () => {
      const { id, mid } = await sent('Your order ships today.');
      await postEvents(ctx, [echo({ mid, text: 'Your order ships today.', metadata: outboxMetadata(id, 0) })]);
      await postEvents(ctx, [echo({ mid, text: 'Your order ships today.', metadata: outboxMetadata(id, 0) })]);
      const rows = await messages(ctx, conversationId);
      assert.equal(rows.length, 2);
      assert.deepEqual([rows[1].id, rows[1].mid, rows[1].status, rows[1].sent_by], [id, mid, 'sent', 'user']);
      assert.equal(fake.sends().length, 1);
    });

    it('should not send again when the echo proves a send whose answer was lost', async () => {
      const { id } = await queue(ctx, conversationId, 'Meta got this, we never heard back');
      fake.hangSends(true);
      const pass = ctx.deps.outbox.kick();
      await fake.waitForCalls((c) => c.params.message !== undefined);
      // The echo arrives while the request hangs, then the connection drops.
      await postEvents(ctx, [echo({ mid: 'm_from_echo', metadata: outboxMetadata(id, 0) })]);
      fake.hangSends(false);
      await pass;
      assert.equal((await message(ctx, id)).status, 'sent');
      assert.equal((await message(ctx, id)).mid, 'm_from_echo');
      await dueNow(ctx);
      await ctx.deps.outbox.kick();
      assert.equal(fake.sends().length, 1, 'exactly one send reached Meta');
      assert.equal((await outboxOf(ctx, id)).state, 'done');
    });

    it('should store a reply sent from Meta\u2019s Page inbox or another app as outgoing, sent outside ChatX', async () => {
      const mid = uniqueMid('m_inbox');
      const t = Date.now() - 1000;
      await postEvents(ctx, [echo({ mid, text: 'Answered from the phone', appId: PAGE_INBOX_APP, timestamp: t })]);
      await postEvents(ctx, [echo({ mid, text: 'Answered from the phone', appId: PAGE_INBOX_APP, timestamp: t })]);
      const rows = await messages(ctx, conversationId);
      assert.equal(rows.length, 2);
      const m = rows[1];
      assert.deepEqual(
        [m.direction, m.sent_by, m.status, m.text, m.created_at],
        ['out', 'outside', 'sent', 'Answered from the phone', t],
      );
      assert.equal(JSON.parse(m.metadata!).app_id, PAGE_INBOX_APP);
      const conv = await ctx.deps.db.get<{ unread_count: number }>('SELECT unread_count FROM conversations WHERE id = ?', [
        conversationId,
      ]);
      assert.equal(conv!.unread_count, 1, 'a reply sent elsewhere is not unread');
    });

    it('should start a conversation when the Page writes first from elsewhere, without opening the window', async () => {
      await postEvents(ctx, [
        echoEvent({ pageId: PAGE_ID, psid: '8999', mid: uniqueMid(), text: 'Hello from the Page', appId: PAGE_INBOX_APP }),
      ]);
      const id = await conversationOf(ctx, '8999');
      const conv = await ctx.deps.db.get<{ last_inbound_at: number | null }>(
        'SELECT last_inbound_at FROM conversations WHERE id = ?',
        [id],
      );
      assert.equal(conv!.last_inbound_at, null);
      assert.equal((await messages(ctx, id))[0].sent_by, 'outside');
    });

    it('should not store an echo of a ChatX message that no longer exists', async () => {
      await postEvents(ctx, [echo({ metadata: outboxMetadata(987654, 0) }), echo({ text: 'own app, no metadata' })]);
      assert.equal(await count(ctx, 'messages'), 1);
    });
  });

  describe('read and delivery watermarks', () => {
    it('should move sent messages up to the delivery watermark to delivered, later ones not', async () => {
      const a = await sent('one');
      const b = await sent('two');
      const watermark = Date.now();
      await new Promise((r) => setTimeout(r, 5));
      const c = await sent('three');
      await postEvents(ctx, [deliveryEvent({ pageId: PAGE_ID, psid: '8001', watermark })]);
      assert.deepEqual(await Promise.all([a, b, c].map(async (m) => (await message(ctx, m.id)).status)), [
        'delivered',
        'delivered',
        'sent',
      ]);
      await postEvents(ctx, [deliveryEvent({ pageId: PAGE_ID, psid: '8001', watermark: 1, mids: [c.mid] })]);
      assert.equal((await message(ctx, c.id)).status, 'delivered');
    });

    it('should move everything up to the read watermark to read and never back to delivered', async () => {
      const a = await sent('one');
      const b = await sent('two');
      const queued = await queue(ctx, conversationId, 'not sent yet');
      const watermark = Date.now();
      await postEvents(ctx, [readEvent({ pageId: PAGE_ID, psid: '8001', watermark })]);
      assert.equal((await message(ctx, a.id)).status, 'read');
      assert.equal((await message(ctx, b.id)).status, 'read');
      assert.equal((await message(ctx, queued.id)).status, 'queued');
      await postEvents(ctx, [deliveryEvent({ pageId: PAGE_ID, psid: '8001', watermark, mids: [a.mid] })]);
      assert.equal((await message(ctx, a.id)).status, 'read');
      const incoming = (await messages(ctx, conversationId)).find((m) => m.direction === 'in')!;
      assert.equal(incoming.status, 'received');
    });

    it('should take a watermark at Meta\u2019s send time as covering the message, however slowly Meta answered', async () => {
      fake.delaySends(60);
      const a = await sent('answered slowly');
      const accepted = fake.sends()[0].at; // when Meta got the request: the message's time at Meta
      await postEvents(ctx, [deliveryEvent({ pageId: PAGE_ID, psid: '8001', watermark: accepted + 5 })]);
      assert.equal((await message(ctx, a.id)).status, 'delivered');
    });

    it('should compare watermarks with the echo\u2019s timestamp (Meta\u2019s clock) once the echo came', async () => {
      const a = await sent('our clock runs ahead of Meta\u2019s');
      const metaTime = Date.now() - 3000;
      await postEvents(ctx, [echo({ mid: a.mid, metadata: outboxMetadata(a.id, 0), timestamp: metaTime })]);
      await postEvents(ctx, [readEvent({ pageId: PAGE_ID, psid: '8001', watermark: metaTime + 1 })]);
      assert.equal((await message(ctx, a.id)).status, 'read');
    });

    it('should ignore receipts for a thread it does not know', async () => {
      await postEvents(ctx, [readEvent({ pageId: PAGE_ID, psid: '5550000', watermark: Date.now() })]);
      assert.equal(await count(ctx, 'contacts'), 1);
    });
  });
});
