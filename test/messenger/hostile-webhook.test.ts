// Validly signed but hostile (or merely odd) webhook bodies: every one is answered 200, what is
// valid in it is stored, what is not is skipped, and nothing afterwards breaks (lists, API, search).
// Plus the odd but real shapes Meta has sent over the years, which must all be accepted.
import assert from 'node:assert/strict';
import request from 'supertest';
import {
  attachmentEvent,
  entry,
  metaJson,
  pageBody,
  textEvent,
  uniqueMid,
  type FakeGraph,
  type MessagingEvent,
} from '../fakes/graph';
import { addUser, signIn } from '../support/browser-session';
import { PAGE_ID, bearer, count, liveContextPerTest, messages, postSigned, type Ctx } from './support';

describe('Hostile and odd webhook bodies (signed)', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));

  /** POSTs these raw events in one entry of the Page; expects 200. */
  async function post(events: unknown[], pageId = PAGE_ID): Promise<void> {
    const res = await postSigned(ctx, { object: 'page', entry: [{ id: pageId, time: Date.now(), messaging: events }] });
    assert.equal(res.status, 200, res.text);
  }

  const event = (psid: unknown, message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    sender: { id: psid },
    recipient: { id: PAGE_ID },
    timestamp: Date.now(),
    message: { mid: uniqueMid(), ...message },
    ...extra,
  });

  /** The inbox, the API and search still answer after whatever was stored. */
  async function stillServes(): Promise<void> {
    await addUser(ctx.deps.db, 'staff@example.com', 'staff').catch(() => undefined);
    const { agent } = await signIn(ctx.app, 'staff@example.com');
    for (const path of ['/', '/?status=open', '/search?q=hello']) assert.equal((await agent.get(path)).status, 200, path);
    const auth = await bearer(ctx);
    const list = await request(ctx.app).get('/api/v1/conversations').set('authorization', auth);
    assert.equal(list.status, 200);
    for (const c of list.body.data as { id: number }[]) {
      assert.equal((await agent.get(`/conversations/${c.id}`)).status, 200);
      assert.equal((await request(ctx.app).get(`/api/v1/conversations/${c.id}/messages`).set('authorization', auth)).status, 200);
    }
  }

  it('should store a message whose timestamp is not a time at the time it arrived, and keep every list working', async () => {
    const before = Date.now();
    await post([{ ...event('8101', { text: 'hello from the far future' }), timestamp: 1e17 }]);
    await post([{ ...event('8102', { text: 'hello from the past' }), timestamp: -5 }]);
    await post([{ ...event('8103', { text: 'hello, no time at all' }), timestamp: 'yesterday' }]);
    const rows = await messages(ctx);
    assert.equal(rows.length, 3);
    for (const m of rows) assert.ok(m.created_at >= before && m.created_at <= Date.now() + 1000, String(m.created_at));
    await stillServes();
  });

  it('should take ids sent as JSON numbers, as Meta once did, and leave out fields of the wrong type', async () => {
    await post([event(7700000000000001, { text: 'numeric sender' })]);
    await post([event('8201', { text: 42, quick_reply: 'yes', reply_to: 7 })]);
    await post([
      {
        sender: { id: '8201' },
        recipient: { id: PAGE_ID },
        timestamp: Date.now(),
        delivery: { mids: [1, 2, null], watermark: 'x' },
      },
    ]);
    const contacts = await ctx.deps.db.all<{ psid: string }>('SELECT psid FROM contacts ORDER BY psid');
    assert.deepEqual(
      contacts.map((c) => c.psid),
      ['7700000000000001', '8201'],
    );
    const texts = (await messages(ctx)).map((m) => m.text);
    assert.deepEqual(texts, ['numeric sender', null], 'a text that is not text is left out; the message is kept');
    await stillServes();
  });

  it('should answer 200 to a body nested thousands of levels deep and store the rest of it', async () => {
    // Built as text: nothing in this process would serialise 5,000 levels either.
    const deep = '{"deeper":'.repeat(5000) + '"bottom"' + '}'.repeat(5000);
    const body = metaJson(
      pageBody([
        entry(PAGE_ID, [
          { ...event('8301', { text: 'beside the deep part' }), extra: 'DEEP' } as unknown as MessagingEvent,
          textEvent({ pageId: PAGE_ID, psid: '8302', mid: uniqueMid(), text: 'next to it' }),
        ]),
      ]),
    ).replace('"DEEP"', deep);
    const res = await postSigned(ctx, body);
    assert.equal(res.status, 200);
    assert.deepEqual(
      (await messages(ctx)).map((m) => m.text),
      ['beside the deep part', 'next to it'],
    );
  });

  it('should answer 200 to 300 mutated bodies without one error, and still serve everything', async () => {
    const base = () =>
      event(`84${Math.floor(Math.random() * 100)}`, {
        text: 'base',
        attachments: [{ type: 'image', payload: { url: `${fake.url}/cdn/x.jpg` } }],
      });
    const mutations: ((e: Record<string, unknown>) => unknown)[] = [
      (e) => ({ ...e, timestamp: Number.MAX_VALUE }),
      (e) => ({ ...e, timestamp: NaN }),
      (e) => ({ ...e, sender: 'someone' }),
      (e) => ({ ...e, sender: { id: { nested: true } } }),
      (e) => ({ ...e, recipient: [] }),
      (e) => ({ ...e, message: 'text' }),
      (e) => ({ ...e, message: { mid: ['m'], text: 'x' } }),
      (e) => ({ ...e, message: { mid: uniqueMid(), attachments: 'none' } }),
      (e) => ({ ...e, message: { mid: uniqueMid(), attachments: [null, 1, { type: 5, payload: { url: 42 } }] } }),
      (e) => ({ ...e, message: { mid: uniqueMid(), attachments: [{ type: 'image', payload: { url: 'javascript:alert(1)' } }] } }),
      (e) => ({ ...e, message: { mid: uniqueMid(), is_echo: 'yes', text: 'not an echo' } }),
      (e) => ({ ...e, message: undefined, read: { watermark: 1e300 } }),
      (e) => ({ ...e, message: undefined, delivery: 'all' }),
      (e) => ({ ...e, message: undefined, reaction: { mid: 5, action: 'explode' } }),
      (e) => ({ ...e, message: undefined, postback: { title: { a: 1 }, payload: [1] } }),
      (e) => ({ ...e, message: undefined, referral: 'ad' }),
      (e) => ({ ...e, message: undefined, message_edit: { mid: null, text: 9 } }),
      (e) => ({ ...e, message: { mid: uniqueMid(), text: 'x'.repeat(100_000) } }),
      (e) => ({ ...e, message: { mid: uniqueMid(), text: '\u0000\u202e<script>alert(1)</script>' } }),
      () => null,
      () => 'a string event',
    ];
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const mutate = mutations[i % mutations.length];
      const entryShape =
        i % 7 === 0 ? { id: PAGE_ID, messaging: 'not a list' } : { id: PAGE_ID, time: Date.now(), messaging: [mutate(base())] };
      const res = await postSigned(ctx, { object: 'page', entry: [entryShape] });
      statuses.push(res.status);
    }
    assert.deepEqual([...new Set(statuses)], [200]);
    await ctx.deps.queue.kick();
    await stillServes();
  });

  it('should ignore events for another Page, by entry and by recipient', async () => {
    await post([event('8501', { text: 'for another Page' })], '999000111');
    await post([{ ...event('8502', { text: 'addressed to another Page' }), recipient: { id: '999000111' } }]);
    await post([event('8503', { text: 'ours' })]);
    assert.deepEqual(
      (await messages(ctx)).map((m) => m.text),
      ['ours'],
    );
    assert.equal(await count(ctx, 'contacts'), 1);
  });

  describe('real shapes from over the years', () => {
    it('should accept the legacy seq field, and sticker_id on the message with the sticker as an image', async () => {
      await post([event('8601', { seq: 12, text: 'old style' })]);
      await post([
        event('8601', {
          sticker_id: 369239263222822,
          attachments: [{ type: 'image', payload: { url: `${fake.url}/cdn/like.png`, sticker_id: 369239263222822 } }],
        }),
      ]);
      const rows = await ctx.deps.db.all<{ type: string; sticker_id: string }>('SELECT type, sticker_id FROM attachments');
      assert.deepEqual(rows, [{ type: 'sticker', sticker_id: '369239263222822' }]);
    });

    it('should accept postbacks without a mid, standby events, and a fallback whose payload is null', async () => {
      await post([
        {
          sender: { id: '8701' },
          recipient: { id: PAGE_ID },
          timestamp: Date.now(),
          postback: { title: 'Get Started', payload: 'START' },
        },
      ]);
      const standby = await postSigned(ctx, {
        object: 'page',
        entry: [{ id: PAGE_ID, time: Date.now(), standby: [event('8701', { text: 'while another app had the thread' })] }],
      });
      assert.equal(standby.status, 200);
      await post([event('8701', { attachments: [{ type: 'fallback', payload: null, title: 'Attachment Unavailable' }] })]);
      const rows = await messages(ctx);
      assert.deepEqual(
        rows.map((m) => [m.kind, m.text]),
        [
          ['postback', 'Get Started'],
          ['message', 'while another app had the thread'],
          ['message', null],
        ],
      );
      const fallback = await ctx.deps.db.get<{ type: string; state: string; title: string }>(
        'SELECT type, state, title FROM attachments',
      );
      assert.deepEqual(fallback, { type: 'fallback', state: 'unavailable', title: 'Attachment Unavailable' });
    });

    it('should answer 200 to a chat-plugin guest known only by user_ref, storing nothing it cannot answer', async () => {
      await post([
        {
          sender: { user_ref: 'guest-123' },
          recipient: { id: PAGE_ID },
          timestamp: Date.now(),
          message: { mid: uniqueMid(), text: 'hi from the website' },
        },
      ]);
      await post([
        {
          sender: { user_ref: 'guest-123' },
          recipient: { id: PAGE_ID },
          timestamp: Date.now(),
          postback: { title: 'Menu', payload: 'MENU' },
        },
      ]);
      assert.equal(await count(ctx, 'messages'), 0);
    });
  });

  it('should settle a file whose name is badly percent-encoded instead of leaving it downloading for ever', async () => {
    const url = fake.serveFile('/cdn/bad%E0%A4%A.jpg', Buffer.from('jpeg bytes'), 'image/jpeg');
    await post([
      attachmentEvent({ pageId: PAGE_ID, psid: '8801', mid: uniqueMid(), attachments: [{ type: 'image', payload: { url } }] }),
    ]);
    await ctx.deps.queue.kick();
    const row = await ctx.deps.db.get<{ state: string; name: string }>('SELECT state, name FROM attachments');
    assert.deepEqual(row, { state: 'stored', name: 'bad%E0%A4%A.jpg' });
  });
});
