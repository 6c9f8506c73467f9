// A corrected name stays: Meta's profile lookup (through the fake Graph API) still records the
// Messenger name, but never overwrites a name staff corrected; an uncorrected name follows Meta.
import assert from 'node:assert/strict';
import request from 'supertest';
import { enqueueJob } from '../../src/core/queue';
import type { FakeGraph } from '../fakes/graph';
import { bearer, dueNow, inbound, liveContextPerTest, type Ctx } from '../messenger/support';

describe('The profile lookup and a corrected name', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let auth: string;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    auth = await bearer(ctx);
  });

  const contactIdOf = async (psid: string) =>
    (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [psid]))!.id;
  const names = async (id: number) => {
    const res = await request(ctx.app).get(`/api/v1/contacts/${id}`).set('authorization', auth);
    return { name: res.body.name, messenger_name: res.body.messenger_name, name_corrected: res.body.name_corrected };
  };
  const correct = (id: number, name: string | null) =>
    request(ctx.app).patch(`/api/v1/contacts/${id}`).set('authorization', auth).send({ name });
  const lookUpAgain = async (id: number) => {
    await enqueueJob(ctx.deps.db, 'messenger.profile', { contactId: id });
    await ctx.deps.queue.kick();
  };

  it('should keep a correction made while the lookup was still pending, and record the Messenger name beside it', async () => {
    fake.profiles.set('27000001', { status: 500, code: 2 });
    await inbound(ctx, '27000001', 'hi');
    await ctx.deps.queue.kick();
    const id = await contactIdOf('27000001');
    assert.deepEqual(await names(id), { name: 'Messenger user 0001', messenger_name: null, name_corrected: false });

    assert.equal((await correct(id, 'Joana Silva')).status, 200);
    fake.profiles.set('27000001', { name: 'Jo S.' });
    await dueNow(ctx);
    await ctx.deps.queue.kick();
    assert.equal(
      fake.calls.filter((c) => c.path === '/v25.0/27000001').length,
      2,
      'the lookup did run again (after its first, failed try)',
    );
    assert.deepEqual(await names(id), { name: 'Joana Silva', messenger_name: 'Jo S.', name_corrected: true });
  });

  it('should record a later Messenger name without touching the correction, and show it once the correction is cleared', async () => {
    fake.profiles.set('27000002', { name: 'Ana Lima' });
    await inbound(ctx, '27000002', 'oi');
    await ctx.deps.queue.kick();
    const id = await contactIdOf('27000002');
    await correct(id, 'Ana Beatriz Lima');

    fake.profiles.set('27000002', { name: 'Ana B. Lima' });
    await lookUpAgain(id);
    assert.deepEqual(await names(id), { name: 'Ana Beatriz Lima', messenger_name: 'Ana B. Lima', name_corrected: true });
    const list = await request(ctx.app).get('/api/v1/conversations').set('authorization', auth);
    assert.equal(list.body.data[0].contact.name, 'Ana Beatriz Lima');

    await correct(id, null);
    assert.deepEqual(await names(id), { name: 'Ana B. Lima', messenger_name: 'Ana B. Lima', name_corrected: false });
  });

  it('should let an uncorrected name follow Meta, and keep a name Meta no longer shares', async () => {
    fake.profiles.set('27000003', { name: 'Bo Chen' });
    await inbound(ctx, '27000003', 'hello');
    await ctx.deps.queue.kick();
    const id = await contactIdOf('27000003');
    fake.profiles.set('27000003', { name: 'Bo Chen-Wu' });
    await lookUpAgain(id);
    assert.deepEqual(await names(id), { name: 'Bo Chen-Wu', messenger_name: 'Bo Chen-Wu', name_corrected: false });
    fake.profiles.set('27000003', 'empty');
    await lookUpAgain(id);
    assert.deepEqual(await names(id), { name: 'Bo Chen-Wu', messenger_name: 'Bo Chen-Wu', name_corrected: false });
  });

  it('should treat a "correction" to the very name Messenger gave as none, so later lookups still update it', async () => {
    fake.profiles.set('27000004', { name: 'Chris Park' });
    await inbound(ctx, '27000004', 'hey');
    await ctx.deps.queue.kick();
    const id = await contactIdOf('27000004');
    assert.equal((await correct(id, 'Chris Park')).status, 200);
    assert.deepEqual(await names(id), { name: 'Chris Park', messenger_name: 'Chris Park', name_corrected: false });
    assert.equal(
      (await ctx.deps.db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'contact.updated'"))!.n,
      0,
    );
  });
});
