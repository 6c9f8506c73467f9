// Follow-ups: adding one on a contact's page and through the API (bad dates, oversize notes and
// unknown owners refused, naming the field, with nothing written), the Due page and the navigation's
// badge, Done and Cancel, the live toast to the owner alone, and the 'follow-ups' job on a
// controlled clock: a reminder without a message, a drafted message sent exactly once inside
// Messenger's window, and outside it a reminder that says why it was not sent.
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { localInputValue } from '../../src/crm/follow-up-input';
import { jobs } from '../../src/jobs';
import type { FakeGraph } from '../fakes/graph';
import {
  customerWrites,
  inboxContext,
  listen,
  OWNER,
  sessionCookie,
  SseStream,
  STAFF,
  type InboxContext,
} from '../inbox/support';
import { conversationAged, HOUR, liveContextPerTest, settle, type Ctx } from '../messenger/support';
import { addUser, signIn, type Agent } from '../support/browser-session';

const MINUTE = 60_000;
const DAY = 24 * HOUR;

interface Row {
  id: number;
  contact_id: number;
  conversation_id: number | null;
  owner_id: number | null;
  due_at: number;
  note: string;
  message: string | null;
  state: string;
  outcome: string | null;
  message_id: number | null;
}

const rows = (ctx: { deps: { db: InboxContext['deps']['db'] } }) => ctx.deps.db.all<Row>('SELECT * FROM follow_ups ORDER BY id');
const auditActions = async (ctx: InboxContext) =>
  (await ctx.deps.db.all<{ action: string; target: string; detail: string }>(
    "SELECT action, target, detail FROM audit_log WHERE action LIKE 'follow_up.%' ORDER BY id",
  )) as { action: string; target: string; detail: string }[];

describe('Follow-ups', () => {
  let ctx: InboxContext;
  let contactId: number;
  let conversationId: number;
  let staff: { agent: Agent; csrf: string };
  let auth: string;
  const PSID = '4300000000000043';
  const inAnHour = () => localInputValue(Date.now() + HOUR);

  beforeEach(async () => {
    ctx = await inboxContext();
    conversationId = await customerWrites(ctx, PSID, 'Can you call me back tomorrow?');
    contactId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [PSID]))!.id;
    staff = await signIn(ctx.app, STAFF);
    auth = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'follow-ups', role: 'staff' })).token}`;
  });
  afterEach(() => ctx.close());

  const add = (fields: Record<string, string>, agent = staff.agent, csrf = staff.csrf) =>
    agent
      .post(`/contacts/${contactId}/follow-ups`)
      .type('form')
      .send({ _csrf: csrf, ...fields });

  describe('POST /contacts/:contact/follow-ups', () => {
    it('should add a follow-up for the signed-in person by default, on the contact’s conversation, and audit it', async () => {
      const res = await add({ due_at: inAnHour(), note: 'Call back about the cake order', owner_id: '' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/contacts/${contactId}#follow-ups`);
      const [row] = await rows(ctx);
      assert.deepEqual(
        [row.contact_id, row.conversation_id, row.owner_id, row.note, row.message, row.state],
        [contactId, conversationId, ctx.staffId, 'Call back about the cake order', null, 'pending'],
      );
      assert.ok(Math.abs(row.due_at - (Date.now() + HOUR)) < 2 * MINUTE);
      const [entry] = await auditActions(ctx);
      assert.equal(entry.action, 'follow_up.create');
      assert.equal(entry.target, `contact #${contactId}`);
      assert.doesNotMatch(entry.detail, /cake/);
    });

    it('should show the contact’s follow-ups and the form (loaded by the contact page)', async () => {
      await add({
        due_at: inAnHour(),
        note: 'Send the price list',
        message: 'Here is our price list!',
        owner_id: String(ctx.ownerId),
      });
      const page = await staff.agent.get(`/contacts/${contactId}`);
      assert.match(page.text, new RegExp(`hx-get="/contacts/${contactId}/follow-ups" hx-trigger="load"`));
      const partial = await staff.agent.get(`/contacts/${contactId}/follow-ups`).set('HX-Request', 'true');
      assert.equal(partial.status, 200);
      assert.doesNotMatch(partial.text, /<html/);
      assert.match(partial.text, /<section class="panel follow-ups" id="follow-ups">/);
      assert.match(partial.text, /Send the price list/);
      assert.match(partial.text, /Here is our price list!/);
      assert.match(partial.text, /for Olivia Owner/);
      assert.match(partial.text, new RegExp(`action="/contacts/${contactId}/follow-ups"`));
      const full = await staff.agent.get(`/contacts/${contactId}/follow-ups`);
      assert.match(full.text, /<html/);
      assert.match(full.text, /<h1>Follow-ups<\/h1>/);
    });

    it('should re-render the form with the mistake and what was typed, writing nothing', async () => {
      const cases: [Record<string, string>, number, RegExp][] = [
        [{ due_at: '' }, 422, /Say when the follow-up is due/],
        [{ due_at: 'tomorrow' }, 400, /due_at must be a date and time/],
        [{ due_at: '2030-02-30T10:00' }, 400, /due_at must be a date and time/],
        [{ due_at: localInputValue(Date.now() - HOUR) }, 422, /The due time has passed/],
        [{ due_at: inAnHour(), note: 'x'.repeat(1001) }, 422, /The note is too long/],
        [{ due_at: inAnHour(), message: 'y'.repeat(2001) }, 422, /The drafted message is too long/],
        [{ due_at: inAnHour(), owner_id: '999999' }, 422, /The owner must be an active user/],
        [{ due_at: inAnHour(), owner_id: 'nobody' }, 400, /owner_id must be the id of a user/],
      ];
      for (const [fields, status, message] of cases) {
        const res = await add({ note: 'Kept note', ...fields });
        assert.equal(res.status, status, JSON.stringify(fields).slice(0, 80));
        assert.match(res.text, message);
        assert.match(res.text, /The follow-up was not added/);
        assert.match(res.text, /aria-invalid="true"/);
        if (!fields.note) assert.match(res.text, />Kept note<\/textarea>/);
      }
      assert.deepEqual(await rows(ctx), []);
      assert.deepEqual(await auditActions(ctx), []);
    });

    it('should refuse a disabled user as the owner', async () => {
      await ctx.deps.db.run("UPDATE users SET status = 'disabled' WHERE id = ?", [ctx.ownerId]);
      const res = await add({ due_at: inAnHour(), owner_id: String(ctx.ownerId) });
      assert.equal(res.status, 422);
      assert.deepEqual(await rows(ctx), []);
    });

    it('should answer 404 for a contact that does not exist, and send anonymous visitors to sign in', async () => {
      assert.equal((await staff.agent.get('/contacts/999999/follow-ups')).status, 404);
      assert.equal((await add({ due_at: inAnHour() })).status, 303);
      const anonymous = await request(ctx.app).get('/follow-ups');
      assert.equal(anonymous.status, 303);
      assert.match(anonymous.headers.location, /^\/login\?next=/);
    });
  });

  describe('GET /follow-ups, the badge, Done and Cancel', () => {
    it('should list mine that came due, overdue ones marked, and count them in the navigation', async () => {
      const now = Date.now();
      const make = async (dueAt: number, note: string, ownerId = ctx.staffId) => {
        const f = await ctx.deps.followUps.create(contactId, { dueAt: now + MINUTE, note, ownerId }, { actor: 'test' });
        await ctx.deps.db.run('UPDATE follow_ups SET due_at = ? WHERE id = ?', [dueAt, f.id]);
        return f;
      };
      await make(now - 3 * DAY, 'Overdue from last week');
      await make(now - 1000, 'Just came due');
      await make(now + DAY, 'Tomorrow');
      await make(now - 1000, 'Someone else’s', ctx.ownerId);
      await ctx.deps.followUps.pass(now);

      const page = await staff.agent.get('/follow-ups');
      assert.equal(page.status, 200);
      assert.match(page.text, /<h1>Due<\/h1>/);
      const dueSection = page.text.slice(page.text.indexOf('id="due"'), page.text.indexOf('id="upcoming"'));
      assert.match(dueSection, /is-overdue[\s\S]*Overdue from last week[\s\S]*Just came due/);
      assert.match(dueSection, /<span class="pill pill-overdue">Overdue<\/span>/);
      assert.doesNotMatch(dueSection, /Someone else/);
      assert.match(page.text.slice(page.text.indexOf('id="upcoming"')), /Tomorrow/);
      assert.match(
        page.text,
        /href="\/follow-ups"[^>]*>Due <span class="nav-badge" id="nav-follow-ups-badge" aria-label="2 due">2<\/span>/,
      );
      const everyone = await staff.agent.get('/follow-ups?who=all');
      assert.match(everyone.text, /Someone else/);
    });

    it('should mark one done or cancel it, back where the button was, and refuse to change it again', async () => {
      const a = await ctx.deps.followUps.create(
        contactId,
        { dueAt: Date.now() + HOUR, note: 'A' },
        { actorUserId: ctx.staffId, actor: STAFF },
      );
      const b = await ctx.deps.followUps.create(
        contactId,
        { dueAt: Date.now() + HOUR, note: 'B' },
        { actorUserId: ctx.staffId, actor: STAFF },
      );
      const done = await staff.agent.post(`/follow-ups/${a.id}/done`).type('form').send({ _csrf: staff.csrf, back: 'contact' });
      assert.equal(done.status, 303);
      assert.equal(done.headers.location, `/contacts/${contactId}#follow-ups`);
      const cancelled = await staff.agent.post(`/follow-ups/${b.id}/cancel`).type('form').send({ _csrf: staff.csrf });
      assert.equal(cancelled.headers.location, '/follow-ups');
      assert.deepEqual(
        (await rows(ctx)).map((r) => r.state),
        ['done', 'cancelled'],
      );
      const again = await staff.agent.post(`/follow-ups/${a.id}/cancel`).type('form').send({ _csrf: staff.csrf });
      assert.equal(again.status, 409);
      assert.equal((await rows(ctx))[0].state, 'done');
      assert.equal((await staff.agent.post('/follow-ups/999999/done').type('form').send({ _csrf: staff.csrf })).status, 404);
      assert.deepEqual(
        (await auditActions(ctx)).map((e) => e.action),
        ['follow_up.create', 'follow_up.create', 'follow_up.done', 'follow_up.cancel'],
      );
    });

    it('should tell the owner’s open tabs, and only theirs, when one comes due', async () => {
      const server = await listen(ctx);
      const streams: SseStream[] = [];
      try {
        const open = async (email: string) => {
          const { cookie } = await sessionCookie(ctx, email);
          const s = await SseStream.open(`${server.url}/events?status=open&who=all&since=${ctx.deps.live.cursor()}`, {
            Cookie: cookie,
          });
          streams.push(s);
          return s;
        };
        const mine = await open(STAFF);
        const theirs = await open(OWNER);
        await ctx.deps.followUps.create(
          contactId,
          { dueAt: Date.now() + MINUTE, note: 'Ask about the delivery', ownerId: ctx.staffId },
          { actor: 'test' },
        );
        await ctx.deps.followUps.pass(Date.now() + 2 * MINUTE);
        const toast = await mine.waitForData('toast-follow-up');
        assert.match(toast.data, /<div id="toasts" hx-swap-oob="beforeend">/);
        assert.match(toast.data, /<strong>Follow-up due:<\/strong> .+ — Ask about the delivery/);
        assert.match(toast.data, /id="nav-follow-ups-badge" hx-swap-oob="true" aria-label="1 due">1</);
        assert.equal(await theirs.seenWithin('toast-follow-up', 200), false);
      } finally {
        streams.forEach((s) => s.close());
        await server.close();
      }
    });
  });

  describe('The JSON API', () => {
    const api = () => request(ctx.app);

    it('POST /api/v1/contacts/:id/follow-ups should add one (201) and GET /api/v1/follow-ups list it by state, owner and due time', async () => {
      const due = new Date(Date.now() + 2 * HOUR).toISOString();
      const res = await api()
        .post(`/api/v1/contacts/${contactId}/follow-ups`)
        .set('authorization', auth)
        .send({ due_at: due, note: 'Quote', message: 'Your quote is ready.', owner_id: ctx.ownerId });
      assert.equal(res.status, 201);
      assert.equal(res.body.state, 'pending');
      assert.equal(res.body.due_at, due);
      assert.deepEqual(res.body.owner, { id: ctx.ownerId, name: 'Olivia Owner' });
      assert.equal(res.body.conversation_id, conversationId);
      assert.equal(res.body.contact.id, contactId);

      const list = async (q: string) =>
        (await api().get(`/api/v1/follow-ups${q}`).set('authorization', auth)).body.follow_ups.map((f: { id: number }) => f.id);
      assert.deepEqual(await list(''), [res.body.id]);
      assert.deepEqual(await list('?state=pending,due'), [res.body.id]);
      assert.deepEqual(await list('?state=done'), []);
      assert.deepEqual(await list(`?owner=${ctx.ownerId}`), [res.body.id]);
      assert.deepEqual(await list(`?owner=${ctx.staffId}`), []);
      assert.deepEqual(await list(`?due_before=${encodeURIComponent(new Date(Date.now() + 3 * HOUR).toISOString())}`), [
        res.body.id,
      ]);
      assert.deepEqual(await list(`?due_before=${encodeURIComponent(new Date(Date.now() + HOUR).toISOString())}`), []);
    });

    it('should refuse bad input naming the field, writing nothing', async () => {
      const future = new Date(Date.now() + HOUR).toISOString();
      const cases: [Record<string, unknown>, number, string, string][] = [
        [{}, 422, 'invalid-due-at', 'due_at'],
        [{ due_at: 12345 }, 400, 'invalid-due-at', 'due_at'],
        [{ due_at: '2030-13-01T10:00' }, 400, 'invalid-due-at', 'due_at'],
        [{ due_at: new Date(Date.now() - MINUTE).toISOString() }, 422, 'invalid-due-at', 'due_at'],
        [{ due_at: future, note: 'n'.repeat(1001) }, 422, 'invalid-note', 'note'],
        [{ due_at: future, note: ['x'] }, 400, 'invalid-note', 'note'],
        [{ due_at: future, message: 'm'.repeat(2001) }, 422, 'invalid-message', 'message'],
        [{ due_at: future, owner_id: 424242 }, 422, 'invalid-owner-id', 'owner_id'],
        [{ due_at: future, owner_id: 'me' }, 400, 'invalid-owner-id', 'owner_id'],
        [{ due_at: future, owner_id: ctx.staffId, conversation_id: 999999 }, 422, 'invalid-conversation-id', 'conversation_id'],
        [{ due_at: future, owner_id: ctx.staffId, state: 'done' }, 422, 'invalid-state', 'state'],
      ];
      for (const [body, status, code, field] of cases) {
        const res = await api().post(`/api/v1/contacts/${contactId}/follow-ups`).set('authorization', auth).send(body);
        assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
        assert.equal(res.body.error.code, code);
        assert.equal(res.body.error.field, field);
      }
      // A token has no user to own it by default.
      const noOwner = await api()
        .post(`/api/v1/contacts/${contactId}/follow-ups`)
        .set('authorization', auth)
        .send({ due_at: future });
      assert.equal(noOwner.status, 422);
      assert.equal(noOwner.body.error.field, 'owner_id');
      assert.equal(
        (await api().post('/api/v1/contacts/999999/follow-ups').set('authorization', auth).send({ due_at: future })).status,
        404,
      );
      for (const q of ['?state=soon', '?owner=x', '?due_before=yesterday']) {
        const res = await api().get(`/api/v1/follow-ups${q}`).set('authorization', auth);
        assert.equal(res.status, 400, q);
        assert.match(res.body.error.code, /^invalid-/);
      }
      assert.deepEqual(await rows(ctx), []);
      assert.equal((await request(ctx.app).get('/api/v1/follow-ups')).status, 401);
    });

    it('PATCH /api/v1/follow-ups/:id should change what it names, finish it, and refuse bad input without a partial write', async () => {
      const f = await ctx.deps.followUps.create(
        contactId,
        { dueAt: Date.now() + HOUR, note: 'First', ownerId: ctx.staffId },
        { actor: 'test' },
      );
      const patch = (body: unknown) =>
        api()
          .patch(`/api/v1/follow-ups/${f.id}`)
          .set('authorization', auth)
          .send(body as object);
      const later = new Date(Date.now() + 5 * HOUR).toISOString();
      const ok = await patch({ note: 'Second', due_at: later, owner_id: ctx.ownerId, message: 'Hello again' });
      assert.equal(ok.status, 200);
      assert.deepEqual(
        [ok.body.note, ok.body.due_at, ok.body.owner.id, ok.body.message],
        ['Second', later, ctx.ownerId, 'Hello again'],
      );

      const bad = await patch({ note: 'Third', owner_id: 999999 });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.field, 'owner_id');
      const bad2 = await patch({ note: 'Third', due_at: '2020-01-01T00:00:00Z' });
      assert.equal(bad2.status, 422);
      assert.equal(bad2.body.error.field, 'due_at');
      assert.equal((await rows(ctx))[0].note, 'Second');

      const done = await patch({ state: 'done' });
      assert.equal(done.body.state, 'done');
      assert.ok(done.body.done_at);
      const closed = await patch({ note: 'Too late' });
      assert.equal(closed.status, 409);
      assert.equal(closed.body.error.code, 'follow-up-closed');
      assert.equal((await api().patch('/api/v1/follow-ups/999999').set('authorization', auth).send({})).status, 404);
      assert.deepEqual(
        (await auditActions(ctx)).map((e) => e.action),
        ['follow_up.create', 'follow_up.edit', 'follow_up.done'],
      );
    });
  });
});

describe('The follow-ups job', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let ownerId: number;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    ownerId = (await addUser(ctx.deps.db, OWNER, 'owner')).id;
  });

  /** A follow-up due a minute from now on the conversation of a customer who wrote `hoursAgo` hours ago. */
  async function followUp(psid: string, hoursAgo: number, message: string | null) {
    const conversationId = await conversationAged(ctx, psid, hoursAgo);
    const { contact_id: contactId } = (await ctx.deps.db.get<{ contact_id: number }>(
      'SELECT contact_id FROM conversations WHERE id = ?',
      [conversationId],
    ))!;
    const f = await ctx.deps.followUps.create(
      contactId,
      { dueAt: Date.now() + MINUTE, note: 'Check in', message, ownerId },
      { actor: 'test' },
    );
    return { id: f.id, conversationId };
  }
  const row = async (id: number) => (await ctx.deps.db.get<Row>('SELECT * FROM follow_ups WHERE id = ?', [id]))!;
  const soon = () => Date.now() + 2 * MINUTE;

  it('should leave a follow-up alone until its time, then make a reminder for its owner', async () => {
    const { id } = await followUp('9101', 1, null);
    assert.deepEqual(await ctx.deps.followUps.pass(Date.now()), { due: 0, sent: 0 });
    assert.equal((await row(id)).state, 'pending');
    assert.deepEqual(await ctx.deps.followUps.pass(soon()), { due: 1, sent: 0 });
    const r = await row(id);
    assert.deepEqual([r.state, r.outcome, r.message_id], ['due', null, null]);
    assert.equal(fake.sends().length, 0);
  });

  it('should send a drafted message inside the 24-hour window exactly once, even if the job runs twice', async () => {
    const { id, conversationId } = await followUp('9102', 2, 'Your order is ready for pickup.');
    const t = soon();
    const [first, second] = await Promise.all([ctx.deps.followUps.pass(t), ctx.deps.followUps.pass(t)]);
    assert.equal(first.sent + second.sent, 1);
    await ctx.deps.followUps.pass(t);
    await settle(ctx);
    const sends = fake.sends();
    assert.equal(sends.length, 1);
    assert.deepEqual(
      [sends[0].params.message.text, sends[0].params.messaging_type],
      ['Your order is ready for pickup.', 'RESPONSE'],
    );
    const r = await row(id);
    assert.equal(r.state, 'sent');
    assert.equal(r.outcome, null);
    const message = await ctx.deps.db.get<{ conversation_id: number; sent_by_user_id: number }>(
      'SELECT conversation_id, sent_by_user_id FROM messages WHERE id = ?',
      [r.message_id],
    );
    assert.deepEqual(message, { conversation_id: conversationId, sent_by_user_id: ownerId });
  });

  it('should not send again after a crash that came after the message was queued, nor lose one that was not', async () => {
    const queued = await followUp('9103', 2, 'Queued before the crash.');
    const lost = await followUp('9104', 2, 'Not queued before the crash.');
    // A crash right after the claim: one made it into the outbox, the other did not.
    await ctx.deps.db.run("UPDATE follow_ups SET state = 'sent', outcome = 'sending' WHERE id IN (?, ?)", [queued.id, lost.id]);
    const { id: messageId } = await ctx.deps.outbox.queue({
      conversationId: queued.conversationId,
      text: 'Queued before the crash.',
      sentBy: 'user',
      userId: ownerId,
    });
    await ctx.deps.followUps.pass(soon());
    await ctx.deps.followUps.pass(soon());
    await settle(ctx);
    assert.deepEqual(
      fake
        .sends()
        .map((s) => s.params.message.text)
        .sort(),
      ['Not queued before the crash.', 'Queued before the crash.'],
    );
    assert.equal((await row(queued.id)).message_id, messageId);
    assert.deepEqual([(await row(lost.id)).state, (await row(lost.id)).outcome], ['sent', null]);
  });

  it('should not send 30 hours after the customer wrote with Human Agent off, but remind with the reason', async () => {
    const { id } = await followUp('9105', 30, 'Still interested?');
    assert.deepEqual(await ctx.deps.followUps.pass(soon()), { due: 1, sent: 0 });
    await settle(ctx);
    assert.equal(fake.sends().length, 0);
    const r = await row(id);
    assert.equal(r.state, 'due');
    assert.match(r.outcome!, /More than 24 hours have passed.*Human Agent/);
  });

  it('should send 30 hours after the customer wrote with Human Agent on, with the HUMAN_AGENT tag', async () => {
    await ctx.deps.channel.save({ humanAgent: true });
    const { id } = await followUp('9106', 30, 'A person following up.');
    assert.deepEqual(await ctx.deps.followUps.pass(soon()), { due: 0, sent: 1 });
    await settle(ctx);
    const [call] = fake.sends();
    assert.deepEqual(
      [call.params.messaging_type, call.params.tag, call.params.message.text],
      ['MESSAGE_TAG', 'HUMAN_AGENT', 'A person following up.'],
    );
    assert.equal((await row(id)).state, 'sent');
  });

  it('should not send 8 days after the customer wrote, even with Human Agent on', async () => {
    await ctx.deps.channel.save({ humanAgent: true });
    const { id } = await followUp('9107', 8 * 24, 'Too late.');
    await ctx.deps.followUps.pass(soon());
    await settle(ctx);
    assert.equal(fake.sends().length, 0);
    const r = await row(id);
    assert.equal(r.state, 'due');
    assert.match(r.outcome!, /More than 7 days/);
  });

  it('should be in the cron table, every minute', () => {
    assert.equal(jobs.find((j) => j.name === 'follow-ups')?.schedule, '* * * * *');
  });
});
