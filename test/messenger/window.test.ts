import assert from 'node:assert/strict';
import request from 'supertest';
import { reactionEvent, type FakeGraph } from '../fakes/graph';
import {
  HOUR,
  PAGE_ID,
  bearer,
  conversationAged,
  conversationOf,
  count,
  dueNow,
  message,
  messages,
  postEvents,
  queue,
  setLastInbound,
  settle,
  liveContextPerTest,
  type Ctx,
} from './support';

describe('The messaging window on real sends', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let auth: string;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    auth = await bearer(ctx);
  });
  afterEach(() => {
    // Whatever happened, nothing sent to a conversation past 24 hours went as RESPONSE.
    const late = fake.sends().filter((c) => c.params.messaging_type === 'RESPONSE' && c.params.message.text?.startsWith('late:'));
    assert.deepEqual(late, []);
  });

  const post = (conversationId: number, text: string) =>
    request(ctx.app).post(`/api/v1/conversations/${conversationId}/messages`).set('authorization', auth).send({ text });

  it('should refuse a reply to a 48-hour-old conversation with 422 before calling Meta', async () => {
    const id = await conversationAged(ctx, '8001', 48);
    const before = await count(ctx, 'messages');
    const res = await post(id, 'late: sorry for the wait');
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'outside-messaging-window');
    assert.match(res.body.error.message, /Human Agent/);
    assert.equal(await count(ctx, 'messages'), before);
    assert.equal(await count(ctx, 'outbox'), 0);
    await settle(ctx);
    assert.equal(fake.sends().length, 0);
  });

  it('should send a person\u2019s reply to a 48-hour-old conversation as MESSAGE_TAG HUMAN_AGENT when enabled', async () => {
    await ctx.deps.channel.save({ humanAgent: true });
    const id = await conversationAged(ctx, '8001', 48);
    const res = await post(id, 'late: a person answering');
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { id: res.body.id, status: 'queued' });
    await settle(ctx);
    const [call] = fake.sends();
    assert.deepEqual([call.params.messaging_type, call.params.tag, call.status], ['MESSAGE_TAG', 'HUMAN_AGENT', 200]);
    assert.equal((await message(ctx, res.body.id)).status, 'sent');
  });

  it('should never tag an AI or automatic message, even with Human Agent enabled', async () => {
    await ctx.deps.channel.save({ humanAgent: true });
    const id = await conversationAged(ctx, '8001', 48);
    for (const sentBy of ['ai', 'system'] as const) {
      await assert.rejects(queue(ctx, id, 'late: from the bot', { sentBy }), { status: 422, code: 'outside-messaging-window' });
    }
    // Queued inside the window, sent after it closed: refused at send time, not tagged.
    const fresh = await conversationAged(ctx, '8002', 1);
    const { id: mid } = await queue(ctx, fresh, 'waited: AI draft', { sentBy: 'ai' });
    await setLastInbound(ctx, fresh, Date.now() - 48 * HOUR);
    await settle(ctx);
    assert.equal(fake.sends().length, 0);
    assert.deepEqual(
      [(await message(ctx, mid)).status, (await message(ctx, mid)).error_code],
      ['failed', 'outside-messaging-window'],
    );
  });

  it('should refuse even a person after 7 days', async () => {
    await ctx.deps.channel.save({ humanAgent: true });
    const id = await conversationAged(ctx, '8001', 24 * 7 + 1);
    assert.equal((await post(id, 'late: a week later')).status, 422);
  });

  it('should check the window again at send time, when a reply waited past 24 hours', async () => {
    const id = await conversationAged(ctx, '8001', 1);
    fake.failSends(1, { code: 2 });
    const { id: mid } = await queue(ctx, id, 'waited: retried after the window closed');
    await ctx.deps.outbox.kick();
    assert.equal((await message(ctx, mid)).status, 'queued');
    await setLastInbound(ctx, id, Date.now() - 30 * HOUR);
    await dueNow(ctx);
    await ctx.deps.outbox.kick();
    const m = await message(ctx, mid);
    assert.deepEqual([m.status, m.error_code], ['failed', 'outside-messaging-window']);
    assert.equal(fake.sends().length, 1);

    // With Human Agent on, the retry goes out tagged instead.
    await ctx.deps.channel.save({ humanAgent: true });
    const res = await request(ctx.app).get(`/api/v1/conversations/${id}/messages`).set('authorization', auth);
    assert.equal(res.body.data.at(-1).error.code, 'outside-messaging-window');
    await ctx.deps.outbox.retry(mid);
    await ctx.deps.outbox.kick();
    assert.deepEqual(
      fake.deliveredSends().map((c) => [c.params.messaging_type, c.params.tag]),
      [['MESSAGE_TAG', 'HUMAN_AGENT']],
    );
  });

  it('should refuse a first message to someone who never wrote', async () => {
    await ctx.deps.channel.save({ humanAgent: true });
    await postEvents(ctx, [
      {
        sender: { id: PAGE_ID },
        recipient: { id: '8009' },
        timestamp: Date.now(),
        message: { is_echo: true, app_id: 263902037430900, mid: 'm_first', text: 'Page wrote first' },
      },
    ]);
    const res = await post(await conversationOf(ctx, '8009'), 'late: hello');
    assert.equal(res.status, 422);
  });

  it('should count a reaction as the customer\u2019s action that reopens the 24-hour window', async () => {
    const id = await conversationAged(ctx, '8001', 48);
    const [first] = await messages(ctx, id);
    await postEvents(ctx, [
      reactionEvent({ pageId: PAGE_ID, psid: '8001', mid: first.mid!, action: 'react', reaction: 'like', emoji: '👍' }),
    ]);
    const res = await post(id, 'glad you liked it');
    assert.equal(res.status, 202);
    await settle(ctx);
    assert.equal(fake.sends()[0].params.messaging_type, 'RESPONSE');
  });
});
