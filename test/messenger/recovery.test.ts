import assert from 'node:assert/strict';
import request from 'supertest';
import { outboxMetadata } from '../../src/messenger/outbox/metadata';
import { SENDING_GRACE_MS } from '../../src/messenger/outbox/sender';
import { addUser, signIn } from '../support/browser-session';
import { tempDir } from '../support/context';
import { echoEvent, type FakeGraph } from '../fakes/graph';
import {
  APP_ID,
  PAGE_ID,
  PAGE_TOKEN,
  bearer,
  conversationAged,
  conversationOf,
  inbound,
  liveEnv,
  message,
  messages,
  openContext,
  outboxOf,
  postEvents,
  queue,
  settle,
  startFake,
  type Ctx,
} from './support';

describe('Outbox: crashes, token expiry and sandbox', () => {
  let fake: FakeGraph;
  const open: Ctx[] = [];
  const start = async (env: Record<string, string>, dir: string) => {
    const ctx = await openContext(env, dir);
    open.push(ctx);
    return ctx;
  };
  let dir: string;
  beforeEach(async () => {
    fake = await startFake();
    dir = tempDir();
  });
  afterEach(async () => {
    for (const ctx of open.splice(0)) await ctx.close();
    await fake.close();
  });

  describe('a crash between commit and send', () => {
    it('should send exactly once after a restart', async () => {
      const first = await start(liveEnv(fake), dir);
      const conversationId = await conversationAged(first, '8001', 1);
      await first.deps.outbox.stop(); // the process dies before its sender gets to run
      const { id } = await queue(first, conversationId, 'written just before the crash');
      await first.shutdown();
      assert.equal(fake.sends().length, 0);

      const second = await start(liveEnv(fake), dir);
      await second.deps.outbox.kick();
      await second.deps.outbox.kick();
      await second.shutdown();
      const third = await start(liveEnv(fake), dir);
      await third.deps.outbox.kick();
      assert.deepEqual(
        fake.sends().map((c) => c.params.message.text),
        ['written just before the crash'],
      );
      assert.equal((await message(third, id)).status, 'sent');
    });

    it('should wait out the grace period for a send cut off mid-request, then send it once', async () => {
      const first = await start(liveEnv(fake), dir);
      const conversationId = await conversationAged(first, '8001', 1);
      const { id } = await queue(first, conversationId, 'cut off');
      const later = await queue(first, conversationId, 'written after it');
      await first.deps.db.run("UPDATE outbox SET state = 'sending', attempts = 1, attempt_started_at = ? WHERE message_id = ?", [
        Date.now(),
        id,
      ]);
      await first.shutdown();

      const second = await start(liveEnv(fake), dir);
      await second.deps.outbox.kick();
      assert.equal(fake.sends().length, 0, 'nothing is sent while the echo may still come');
      await second.deps.db.run('UPDATE outbox SET attempt_started_at = ? WHERE message_id = ?', [
        Date.now() - SENDING_GRACE_MS - 1000,
        id,
      ]);
      await second.deps.outbox.kick();
      await second.deps.outbox.kick();
      assert.deepEqual(
        fake.sends().map((c) => c.params.message.text),
        ['cut off', 'written after it'],
      );
      assert.equal((await message(second, later.id)).status, 'sent');
    });

    it('should take the echo as proof that the cut-off send went, and never send it again', async () => {
      const first = await start(liveEnv(fake), dir);
      const conversationId = await conversationAged(first, '8001', 1);
      const { id } = await queue(first, conversationId, 'it did reach Meta');
      await first.deps.db.run("UPDATE outbox SET state = 'sending', attempts = 1, attempt_started_at = ? WHERE message_id = ?", [
        Date.now(),
        id,
      ]);
      await first.shutdown();

      const second = await start(liveEnv(fake), dir);
      await postEvents(second, [
        echoEvent({
          pageId: PAGE_ID,
          psid: '8001',
          mid: 'm_proof',
          text: 'it did reach Meta',
          appId: APP_ID,
          metadata: outboxMetadata(id, 0),
        }),
      ]);
      await second.deps.db.run('UPDATE outbox SET attempt_started_at = 0 WHERE message_id = ?', [id]);
      await second.deps.outbox.kick();
      assert.equal(fake.sends().length, 0);
      assert.equal((await outboxOf(second, id)).state, 'done');
      assert.deepEqual([(await message(second, id)).status, (await message(second, id)).mid], ['sent', 'm_proof']);
      assert.equal((await messages(second, conversationId)).length, 2);
    });
  });

  describe('token expiry', () => {
    it('should hold replies while the token is invalid, keep receiving, and send them once a new token is set', async () => {
      const first = await start(liveEnv(fake), dir);
      const conversationId = await conversationAged(first, '8001', 1);
      fake.validToken = 'EAAnewToken'; // the Page token expires
      const a = await queue(first, conversationId, 'first reply');
      await first.deps.outbox.kick();
      assert.equal(fake.sends()[0].status, 400);
      assert.equal((await outboxOf(first, a.id)).state, 'held');
      assert.equal((await message(first, a.id)).status, 'queued');
      const state = await first.deps.channel.state();
      assert.equal(state.tokenState, 'invalid');
      assert.match(state.tokenError!, /Session has expired/);

      // Inbound keeps working, and new replies wait too without calling Meta.
      await inbound(first, '8001', 'hello? anyone?');
      assert.equal((await messages(first, conversationId)).filter((m) => m.direction === 'in').length, 2);
      const b = await queue(first, conversationId, 'second reply');
      await settle(first);
      assert.equal((await outboxOf(first, b.id)).state, 'held');
      assert.equal(fake.sends().length, 1);
      await first.shutdown();

      const second = await start(liveEnv(fake, { FB_PAGE_ACCESS_TOKEN: 'EAAnewToken' }), dir);
      assert.equal((await second.deps.channel.state()).tokenState, 'ok');
      await second.deps.outbox.kick();
      await second.deps.outbox.kick();
      assert.deepEqual(
        fake.deliveredSends().map((c) => [c.token, c.params.message.text]),
        [
          ['EAAnewToken', 'first reply'],
          ['EAAnewToken', 'second reply'],
        ],
      );
      assert.equal((await message(second, b.id)).status, 'sent');
    });

    it('should release held replies when a new token is saved in settings', async () => {
      fake.validToken = 'EAAsettingsOld';
      const env = liveEnv(fake);
      delete env.FB_PAGE_ACCESS_TOKEN;
      const ctx = await start(env, dir);
      await ctx.deps.channel.save({ pageToken: 'EAAsettingsOld' });
      const conversationId = await conversationAged(ctx, '8001', 1);
      fake.validToken = 'EAAsettingsNew';
      const { id } = await queue(ctx, conversationId, 'held until the fix');
      await ctx.deps.outbox.kick();
      assert.equal((await outboxOf(ctx, id)).state, 'held');
      await ctx.deps.outbox.kick();
      assert.equal(fake.sends().length, 1, 'a held reply does not hammer Meta');
      await ctx.deps.channel.save({ pageToken: 'EAAsettingsNew' });
      await ctx.deps.outbox.kick();
      assert.equal((await message(ctx, id)).status, 'sent');
      assert.equal(fake.deliveredSends().length, 1);
    });

    it('should find by itself, probing every minute, that the token works again, and send held replies once', async () => {
      const ctx = await start(liveEnv(fake), dir);
      const conversationId = await conversationAged(ctx, '8001', 1);
      fake.validToken = 'EAAsomethingElse'; // Meta refuses the token for a while (a password change, a glitch)
      const a = await queue(ctx, conversationId, 'first, held');
      const b = await queue(ctx, conversationId, 'second, held');
      await ctx.deps.outbox.kick();
      assert.deepEqual([(await outboxOf(ctx, a.id)).state, (await outboxOf(ctx, b.id)).state], ['held', 'held']);
      assert.equal(await ctx.deps.outbox.probeToken(), false, 'still refused: nothing released');
      assert.equal((await outboxOf(ctx, a.id)).state, 'held');
      fake.validToken = PAGE_TOKEN; // Meta accepts it again; nobody touches Settings
      const [first, second] = await Promise.all([ctx.deps.outbox.probeToken(), ctx.deps.outbox.probeToken()]);
      assert.ok(first || second, 'released');
      await ctx.deps.outbox.kick();
      await ctx.deps.outbox.kick();
      assert.equal((await ctx.deps.channel.state()).tokenState, 'ok');
      assert.deepEqual(
        fake.deliveredSends().map((c) => c.params.message.text),
        ['first, held', 'second, held'],
        'each held reply once, in order',
      );
      assert.equal(await ctx.deps.outbox.probeToken(), false, 'nothing to probe once it works');
    });
  });

  describe('retry of a failed message', () => {
    it('should put a failed message back through POST /conversations/:id/messages/:mid/retry', async () => {
      const ctx = await start(liveEnv(fake), dir);
      await addUser(ctx.deps.db, 'staff@example.com', 'staff');
      const conversationId = await conversationAged(ctx, '8001', 1);
      fake.failSends(1, { code: 551 });
      const { id } = await queue(ctx, conversationId, 'try me again');
      await ctx.deps.outbox.kick();
      const failed = await request(ctx.app)
        .get(`/api/v1/conversations/${conversationId}/messages`)
        .set('authorization', await bearer(ctx));
      assert.deepEqual(failed.body.data.at(-1).error, {
        code: 'person-unavailable',
        message: "This person isn't receiving messages from the Page right now.",
      });
      const { agent, csrf } = await signIn(ctx.app, 'staff@example.com');
      assert.equal((await agent.post(`/conversations/${conversationId}/messages/${id}/retry`).type('form').send({})).status, 403);
      const res = await agent.post(`/conversations/${conversationId}/messages/${id}/retry`).type('form').send({ _csrf: csrf });
      assert.equal(res.status, 303);
      await ctx.deps.outbox.kick();
      assert.equal((await message(ctx, id)).status, 'sent');
      assert.equal(fake.sends().length, 2);
      await assert.rejects(ctx.deps.outbox.retry(id), { status: 409 });
    });
  });

  describe('sandbox mode', () => {
    it('should mark replies sandbox and call nothing at Meta', async () => {
      const ctx = await start({ GRAPH_API_URL: fake.url }, dir);
      await inbound(ctx, '9001', 'hi from the simulator', Date.now(), 'sandbox');
      const conversationId = await conversationOf(ctx, '9001');
      const res = await request(ctx.app)
        .post(`/api/v1/conversations/${conversationId}/messages`)
        .set('authorization', await bearer(ctx))
        .send({ text: 'hello, sandbox' });
      assert.equal(res.status, 202);
      await settle(ctx);
      assert.equal((await message(ctx, res.body.id)).status, 'sandbox');
      assert.equal((await outboxOf(ctx, res.body.id)).state, 'done');
      assert.equal(fake.calls.length, 0);
      assert.equal((await ctx.deps.channel.state()).sandbox, true);
    });
  });
});
