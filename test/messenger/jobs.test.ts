import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import request from 'supertest';
import { enqueueJob } from '../../src/core/queue';
import { setSetting } from '../../src/settings/store';
import type { FakeGraph } from '../fakes/graph';
import {
  APP_SECRET,
  PAGE_TOKEN,
  bearer,
  conversationOf,
  dueNow,
  inbound,
  openContext,
  outboxOf,
  queue,
  liveContextPerTest,
  type Ctx,
} from './support';

interface Contact {
  name: string | null;
  profile_state: string;
}

describe('Profile lookup job', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));

  const contact = (psid: string) => ctx.deps.db.get<Contact>('SELECT name, profile_state FROM contacts WHERE psid = ?', [psid]);
  const profileCalls = (psid: string) => fake.calls.filter((c) => c.method === 'GET' && c.path === `/v25.0/${psid}`);
  const apiName = async (psid: string) => {
    const res = await request(ctx.app)
      .get('/api/v1/conversations')
      .set('authorization', await bearer(ctx));
    return res.body.data.find((c: { contact: { psid: string } }) => c.contact.psid === psid).contact.name as string;
  };

  it('should fetch only the display name, with the Page token, once per contact', async () => {
    fake.profiles.set('26001234', { name: 'Ana Lima', id: '26001234' });
    await inbound(ctx, '26001234', 'oi');
    await inbound(ctx, '26001234', 'tudo bem?');
    await ctx.deps.queue.kick();
    assert.deepEqual(await contact('26001234'), { name: 'Ana Lima', profile_state: 'fetched' });
    const calls = profileCalls('26001234');
    assert.equal(calls.length, 1);
    assert.deepEqual([calls[0].query.fields, calls[0].token], ['name', PAGE_TOKEN]);
    assert.equal(calls[0].query.appsecret_proof, crypto.createHmac('sha256', APP_SECRET).update(PAGE_TOKEN).digest('hex'));
    assert.equal(await apiName('26001234'), 'Ana Lima');
  });

  it('should leave a readable placeholder when Meta answers {}', async () => {
    fake.profiles.set('26005678', 'empty');
    await inbound(ctx, '26005678', 'hi');
    await ctx.deps.queue.kick();
    assert.deepEqual(await contact('26005678'), { name: null, profile_state: 'unavailable' });
    assert.equal(await apiName('26005678'), 'Messenger user 5678');
    const job = await ctx.deps.db.get<{ state: string }>("SELECT state FROM jobs WHERE kind = 'messenger.profile'");
    assert.equal(job!.state, 'done');
  });

  it('should leave the placeholder, not a failure, on error 2018218 (no profile for this user)', async () => {
    fake.profiles.set('26004321', { code: 100, subcode: 2018218, message: 'No profile available for this user.' });
    await inbound(ctx, '26004321', 'hi');
    await ctx.deps.queue.kick();
    assert.deepEqual(await contact('26004321'), { name: null, profile_state: 'unavailable' });
    assert.equal(await apiName('26004321'), 'Messenger user 4321');
    assert.equal(
      (await ctx.deps.db.get<{ state: string }>("SELECT state FROM jobs WHERE kind = 'messenger.profile'"))!.state,
      'done',
    );
  });

  it('should retry a transient error with backoff, then store the name', async () => {
    fake.profiles.set('26009999', { status: 500, code: 2 });
    await inbound(ctx, '26009999', 'hi');
    await ctx.deps.queue.kick();
    const job = await ctx.deps.db.get<{ state: string; attempts: number; run_at: number; last_error: string }>(
      "SELECT state, attempts, run_at, last_error FROM jobs WHERE kind = 'messenger.profile'",
    );
    assert.deepEqual([job!.state, job!.attempts], ['pending', 1]);
    assert.ok(job!.run_at > Date.now());
    assert.deepEqual(await contact('26009999'), { name: null, profile_state: 'pending' });
    fake.profiles.set('26009999', { name: 'Bo Chen' });
    await dueNow(ctx);
    await ctx.deps.queue.kick();
    assert.deepEqual(await contact('26009999'), { name: 'Bo Chen', profile_state: 'fetched' });
  });

  it('should mark the token invalid on 190 and hold replies without calling Meta', async () => {
    await inbound(ctx, '26001111', 'hi');
    await ctx.deps.queue.kick();
    fake.validToken = 'EAAsomethingElse';
    await inbound(ctx, '26002222', 'hi');
    await ctx.deps.queue.kick();
    const state = await ctx.deps.channel.state();
    assert.equal(state.tokenState, 'invalid');
    const { id } = await queue(ctx, await conversationOf(ctx, '26002222'), 'waits for a token');
    await ctx.deps.outbox.kick();
    assert.equal((await outboxOf(ctx, id)).state, 'held');
    assert.equal(fake.sends().length, 0);
    const job = await ctx.deps.db.get<{ state: string; run_at: number }>(
      "SELECT state, run_at FROM jobs WHERE payload LIKE '%' || ? || '%'",
      [`"contactId":2`],
    );
    assert.equal(job!.state, 'pending');
    assert.ok(job!.run_at > Date.now() + 10 * 60 * 1000);
  });

  it('should take the name the Simulator registered in sandbox mode, without calling Meta', async () => {
    const sandbox = await openContext({ GRAPH_API_URL: fake.url });
    try {
      await setSetting(sandbox.deps.db, 'sandbox.profile.31337', 'Sam Sandbox');
      await inbound(sandbox, '31337', 'hi', Date.now(), 'sandbox');
      await inbound(sandbox, '31338', 'hi', Date.now(), 'sandbox');
      await sandbox.deps.queue.kick();
      const rows = await sandbox.deps.db.all('SELECT psid, name, profile_state FROM contacts ORDER BY psid');
      assert.deepEqual(rows, [
        { psid: '31337', name: 'Sam Sandbox', profile_state: 'fetched' },
        { psid: '31338', name: null, profile_state: 'unavailable' },
      ]);
      assert.equal(fake.calls.length, 0);
    } finally {
      await sandbox.close();
    }
  });

  describe('sender actions', () => {
    const markSeen = async (conversationId: number) => {
      await enqueueJob(ctx.deps.db, 'messenger.sender_action', { conversationId, action: 'mark_seen' });
      await ctx.deps.queue.kick();
    };

    it('should send mark_seen to the conversation\u2019s customer', async () => {
      await inbound(ctx, '26001234', 'hi');
      await ctx.deps.queue.kick();
      await markSeen(await conversationOf(ctx, '26001234'));
      assert.deepEqual(
        fake.senderActions().map((c) => [c.params.sender_action, c.params.recipient.id, c.status]),
        [['mark_seen', '26001234', 200]],
      );
    });

    it('should retry a transient failure a few times, then drop it', async () => {
      await inbound(ctx, '26001234', 'hi');
      await ctx.deps.queue.kick();
      fake.failRequests((c) => c.params.sender_action !== undefined, { status: 500, code: 2 });
      await markSeen(await conversationOf(ctx, '26001234'));
      for (let i = 0; i < 5; i++) {
        await dueNow(ctx);
        await ctx.deps.queue.kick();
      }
      assert.equal(fake.calls.filter((c) => c.params.sender_action !== undefined).length, 3);
      const job = await ctx.deps.db.get<{ state: string }>("SELECT state FROM jobs WHERE kind = 'messenger.sender_action'");
      assert.equal(job!.state, 'done');
    });

    it('should not call Meta while the token is known to be invalid', async () => {
      await inbound(ctx, '26001234', 'hi');
      await ctx.deps.queue.kick();
      await ctx.deps.channel.tokenRejected(PAGE_TOKEN, 'expired');
      await markSeen(await conversationOf(ctx, '26001234'));
      assert.equal(fake.senderActions().length, 0);
    });
  });
});
