import assert from 'node:assert/strict';
import request from 'supertest';
import { csrfFrom, signIn, type Agent } from '../support/browser-session';
import { conversation, count, customerWrites, HOUR, inboxContext, OWNER, rowIds, STAFF, type InboxContext } from './support';

describe('Workflow actions on a conversation', () => {
  let ctx: InboxContext;
  let id: number;
  let agent: Agent;
  let csrf: string;
  beforeEach(async () => {
    ctx = await inboxContext();
    id = await customerWrites(ctx, '6660001111', 'Is the blue one in stock?');
    // Staff may do every inbox action; the owner-only areas are elsewhere.
    ({ agent, csrf } = await signIn(ctx.app, STAFF));
  });
  afterEach(() => ctx.close());

  const form = (path: string, body: Record<string, string> = {}) =>
    agent
      .post(path)
      .type('form')
      .send({ _csrf: csrf, ...body });

  describe('POST /conversations/:id/status', () => {
    it('should resolve, set pending and reopen, going back to the conversation with the filter', async () => {
      const res = await form(`/conversations/${id}/status?status=open&who=mine`, { status: 'resolved' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/conversations/${id}?status=open&who=mine`);
      assert.equal((await conversation(ctx, id)).status, 'resolved');
      assert.deepEqual(rowIds((await agent.get('/?status=resolved')).text), [id]);
      await form(`/conversations/${id}/status`, { status: 'pending' });
      assert.equal((await conversation(ctx, id)).status, 'pending');
      await form(`/conversations/${id}/status`, { status: 'open' });
      assert.equal((await conversation(ctx, id)).status, 'open');
    });

    it('should refuse "snoozed" and nonsense with 400 (snooze has its own time)', async () => {
      for (const status of ['snoozed', 'closed', '']) {
        const res = await form(`/conversations/${id}/status`, { status });
        assert.equal(res.status, 400, status);
        assert.match(res.text, /Choose open, pending or resolved/);
      }
      assert.equal((await conversation(ctx, id)).status, 'open');
    });

    it('should reopen a resolved conversation when the customer writes again', async () => {
      await form(`/conversations/${id}/status`, { status: 'resolved' });
      await customerWrites(ctx, '6660001111', 'Hello again');
      assert.equal((await conversation(ctx, id)).status, 'open');
    });
  });

  describe('POST /conversations/:id/assign', () => {
    it('should assign to me, to someone else, and to nobody', async () => {
      await form(`/conversations/${id}/assign`, { assignee_id: 'me' });
      assert.equal((await conversation(ctx, id)).assignee_id, ctx.staffId);
      assert.deepEqual(rowIds((await agent.get('/?who=mine')).text), [id]);
      const res = await form(`/conversations/${id}/assign`, { assignee_id: String(ctx.ownerId) });
      assert.equal(res.status, 303);
      assert.equal((await conversation(ctx, id)).assignee_id, ctx.ownerId);
      const page = await agent.get(`/conversations/${id}`);
      assert.match(page.text, /assigned to Olivia Owner/);
      assert.match(page.text, new RegExp(`value="${ctx.ownerId}" class="popover-item" aria-pressed="true">Olivia Owner<`));
      await form(`/conversations/${id}/assign`, { assignee_id: '' });
      assert.equal((await conversation(ctx, id)).assignee_id, null);
      assert.deepEqual(rowIds((await agent.get('/?who=unassigned')).text), [id]);
    });

    it('should refuse an unknown or disabled user with 400', async () => {
      assert.equal((await form(`/conversations/${id}/assign`, { assignee_id: '9999' })).status, 400);
      await ctx.deps.db.run("UPDATE users SET status = 'disabled' WHERE id = ?", [ctx.ownerId]);
      const res = await form(`/conversations/${id}/assign`, { assignee_id: String(ctx.ownerId) });
      assert.equal(res.status, 400);
      assert.match(res.text, /Assign to an active user/);
      assert.equal((await conversation(ctx, id)).assignee_id, null);
    });
  });

  describe('the record of status and assignee changes (for the timeline and the dashboard)', () => {
    it('should record who changed what and when, and nothing for a refused change', async () => {
      await form(`/conversations/${id}/assign`, { assignee_id: 'me' });
      await form(`/conversations/${id}/status`, { status: 'resolved' });
      await form(`/conversations/${id}/status`, { status: 'closed' }); // refused
      await form(`/conversations/${id}/assign`, { assignee_id: '9999' }); // refused
      await form(`/conversations/${id}/assign`, { assignee_id: '' });
      const events = await ctx.deps.db.all<{ kind: string; value: string | null; actor_user_id: number }>(
        'SELECT kind, value, actor_user_id FROM conversation_events WHERE conversation_id = ? ORDER BY id',
        [id],
      );
      assert.deepEqual(events, [
        { kind: 'assignee', value: String(ctx.staffId), actor_user_id: ctx.staffId },
        { kind: 'status', value: 'resolved', actor_user_id: ctx.staffId },
        { kind: 'assignee', value: null, actor_user_id: ctx.staffId },
      ]);
    });
  });

  describe('POST /conversations/:id/labels and …/labels/:labelId/remove', () => {
    it('should add a label (created once, case-insensitively) and remove it', async () => {
      const res = await form(`/conversations/${id}/labels`, { name: '  Wholesale   order ' });
      assert.equal(res.status, 303);
      await form(`/conversations/${id}/labels`, { name: 'wholesale order' });
      const labels = await ctx.deps.db.all<{ id: number; name: string }>('SELECT id, name FROM labels');
      assert.deepEqual(
        labels.map((l) => l.name),
        ['Wholesale order'],
      );
      const labelId = labels[0].id;
      assert.equal(await count(ctx, 'SELECT 1 FROM conversation_labels WHERE conversation_id = ?', [id]), 1);
      const page = await agent.get(`/conversations/${id}`);
      assert.match(page.text, new RegExp(`action="/conversations/${id}/labels/${labelId}/remove"`));
      assert.match(page.text, /aria-label="Remove label Wholesale order"/);
      assert.deepEqual(rowIds((await agent.get(`/?label=${labelId}`)).text), [id]);

      const removed = await form(`/conversations/${id}/labels/${labelId}/remove`);
      assert.equal(removed.status, 303);
      assert.equal(await count(ctx, 'SELECT 1 FROM conversation_labels WHERE conversation_id = ?', [id]), 0);
      assert.deepEqual(rowIds((await agent.get(`/?label=${labelId}`)).text), []);
    });

    it('should refuse an empty or over-long label with 400', async () => {
      assert.equal((await form(`/conversations/${id}/labels`, { name: '   ' })).status, 400);
      assert.equal((await form(`/conversations/${id}/labels`, { name: 'x'.repeat(41) })).status, 400);
      assert.equal(await count(ctx, 'SELECT 1 FROM labels'), 0);
    });
  });

  describe('POST /conversations/:id/snooze', () => {
    it('should snooze for an hour, back to the list, and wake when the time comes', async () => {
      const before = Date.now();
      const res = await form(`/conversations/${id}/snooze?status=open&who=all`, { preset: '1h', until: '' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/?status=open&who=all');
      const snoozed = await conversation(ctx, id);
      assert.equal(snoozed.status, 'snoozed');
      assert.ok(snoozed.snoozed_until! >= before + HOUR && snoozed.snoozed_until! <= Date.now() + HOUR);
      assert.deepEqual(rowIds((await agent.get('/')).text), []);
      assert.deepEqual(rowIds((await agent.get('/?status=snoozed')).text), [id]);
      assert.match((await agent.get(`/conversations/${id}`)).text, /status-snoozed">snoozed<\/span> until/);

      // Not yet…
      assert.equal(await ctx.deps.workflow.wakeSnoozed(Date.now() + HOUR / 2), 0);
      assert.equal((await conversation(ctx, id)).status, 'snoozed');
      // …then the cron job's pass after the hour reopens it.
      assert.equal(await ctx.deps.workflow.wakeSnoozed(Date.now() + HOUR + 1000), 1);
      const woken = await conversation(ctx, id);
      assert.equal(woken.status, 'open');
      assert.equal(woken.snoozed_until, null);
      assert.deepEqual(rowIds((await agent.get('/')).text), [id]);
    });

    it('should snooze until tomorrow 9:00 and until next week', async () => {
      await form(`/conversations/${id}/snooze`, { preset: 'tomorrow' });
      const tomorrow = new Date((await conversation(ctx, id)).snoozed_until!);
      assert.equal(tomorrow.getHours(), 9);
      assert.equal(tomorrow.getMinutes(), 0);
      assert.ok(tomorrow.getTime() > Date.now() && tomorrow.getTime() <= Date.now() + 33 * HOUR);
      await form(`/conversations/${id}/snooze`, { preset: 'week' });
      const week = new Date((await conversation(ctx, id)).snoozed_until!);
      assert.equal(week.getDay(), 1);
      assert.equal(week.getHours(), 9);
      assert.ok(week.getTime() > Date.now() && week.getTime() <= Date.now() + 8 * 24 * HOUR);
    });

    it('should snooze until a custom time (the datetime-local field wins over the preset)', async () => {
      const at = new Date(Date.now() + 3 * 24 * HOUR);
      at.setSeconds(0, 0);
      const pad = (n: number) => String(n).padStart(2, '0');
      const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
      const res = await form(`/conversations/${id}/snooze`, { preset: '1h', until: local });
      assert.equal(res.status, 303);
      assert.equal((await conversation(ctx, id)).snoozed_until, at.getTime());
      await ctx.deps.workflow.wakeSnoozed(at.getTime());
      assert.equal((await conversation(ctx, id)).status, 'open');
    });

    it('should refuse a time in the past, a custom choice without a time, and nonsense with 400', async () => {
      for (const body of [
        { preset: 'custom', until: '2001-01-01T09:00' },
        { preset: 'custom', until: '' },
        { preset: '', until: 'soon' },
      ]) {
        const res = await form(`/conversations/${id}/snooze`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
      }
      assert.equal((await conversation(ctx, id)).status, 'open');
    });
  });

  describe('POST /conversations/:id/unread', () => {
    it('should mark it unread and go back to the list (opening it would read it again)', async () => {
      await agent.get(`/conversations/${id}`);
      assert.equal((await conversation(ctx, id)).unread_count, 0);
      const res = await form(`/conversations/${id}/unread?status=open&who=all&unread=1`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/?status=open&who=all&unread=1');
      assert.equal((await conversation(ctx, id)).unread_count, 1);
      const list = await agent.get(res.headers.location);
      assert.deepEqual(rowIds(list.text), [id]);
      assert.match(list.text, /aria-label="1 unread"/);
    });

    it('should keep the real unread count when there is one', async () => {
      await customerWrites(ctx, '6660001111', 'and the red one?');
      await form(`/conversations/${id}/unread`);
      assert.equal((await conversation(ctx, id)).unread_count, 2);
    });
  });

  describe('POST /conversations/:id/typing', () => {
    it('should answer 204 to the composer (token in X-CSRF-Token), 403 without it', async () => {
      const res = await agent.post(`/conversations/${id}/typing`).set('X-CSRF-Token', csrf);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assert.equal((await agent.post(`/conversations/${id}/typing`)).status, 403);
    });
  });

  describe('unknown conversations', () => {
    it('should answer 404 to every action', async () => {
      for (const [path, body] of [
        ['/conversations/99999/status', { status: 'resolved' }],
        ['/conversations/99999/assign', { assignee_id: 'me' }],
        ['/conversations/99999/labels', { name: 'x' }],
        ['/conversations/99999/snooze', { preset: '1h' }],
        ['/conversations/99999/unread', {}],
      ] as const) {
        assert.equal((await form(path, body)).status, 404, path);
      }
    });
  });

  describe('staff and owner', () => {
    for (const email of [STAFF, OWNER]) {
      it(`should let ${email.split('@')[0]} do every inbox action`, async () => {
        const me = await signIn(ctx.app, email);
        const post = (path: string, body: Record<string, string> = {}) =>
          me.agent
            .post(path)
            .type('form')
            .send({ _csrf: me.csrf, ...body });
        assert.equal((await me.agent.get(`/conversations/${id}`)).status, 200);
        assert.equal((await post(`/conversations/${id}/messages`, { text: 'reply' })).status, 303);
        assert.equal((await post(`/conversations/${id}/messages`, { text: 'note', mode: 'note' })).status, 303);
        assert.equal((await post(`/conversations/${id}/assign`, { assignee_id: 'me' })).status, 303);
        assert.equal((await post(`/conversations/${id}/labels`, { name: 'vip' })).status, 303);
        const labelId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM labels'))!.id;
        assert.equal((await post(`/conversations/${id}/labels/${labelId}/remove`)).status, 303);
        assert.equal((await post(`/conversations/${id}/status`, { status: 'pending' })).status, 303);
        assert.equal((await post(`/conversations/${id}/snooze`, { preset: '1h' })).status, 303);
        assert.equal((await post(`/conversations/${id}/unread`)).status, 303);
        assert.equal((await me.agent.post(`/conversations/${id}/typing`).set('X-CSRF-Token', me.csrf)).status, 204);
        const state = await conversation(ctx, id);
        assert.equal(state.status, 'snoozed');
        assert.equal(state.assignee_id, email === STAFF ? ctx.staffId : ctx.ownerId);
      });
    }
  });

  describe('CSRF and sign-in', () => {
    const posts = () =>
      [
        [`/conversations/${id}/messages`, { text: 'forged' }],
        [`/conversations/${id}/messages/1/retry`, {}],
        [`/conversations/${id}/status`, { status: 'resolved' }],
        [`/conversations/${id}/assign`, { assignee_id: 'me' }],
        [`/conversations/${id}/labels`, { name: 'forged' }],
        [`/conversations/${id}/labels/1/remove`, {}],
        [`/conversations/${id}/snooze`, { preset: '1h' }],
        [`/conversations/${id}/unread`, {}],
        [`/conversations/${id}/typing`, {}],
      ] as [string, Record<string, string>][];

    it('should refuse every POST without the CSRF token with 403, changing nothing', async () => {
      await ctx.deps.workflow.addLabel(id, 'keep');
      const before = await conversation(ctx, id);
      for (const [path, body] of posts()) {
        const res = await agent.post(path).type('form').send(body);
        assert.equal(res.status, 403, path);
        assert.match(res.text, /This form has expired/, path);
        const wrong = await agent.post(path).set('X-CSRF-Token', 'wrong-token-wrong-token').type('form').send(body);
        assert.equal(wrong.status, 403, `${path} with a wrong header`);
      }
      assert.deepEqual(await conversation(ctx, id), before);
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE direction = 'out'"), 0);
      assert.equal(await count(ctx, 'SELECT 1 FROM conversation_labels'), 1);
    });

    it('should send a signed-out POST to sign in (401 with HX-Redirect for htmx), changing nothing', async () => {
      const before = await conversation(ctx, id);
      const visitor = request.agent(ctx.app);
      const token = csrfFrom((await visitor.get('/login')).text);
      for (const [path, body] of posts()) {
        const res = await visitor
          .post(path)
          .type('form')
          .send({ _csrf: token, ...body });
        assert.equal(res.status, 303, path);
        assert.match(res.headers.location, /^\/login\?next=/, path);
        const htmx = await visitor
          .post(path)
          .set('HX-Request', 'true')
          .type('form')
          .send({ _csrf: token, ...body });
        assert.equal(htmx.status, 401, path);
        assert.match(htmx.headers['hx-redirect'], /^\/login/, path);
      }
      assert.deepEqual(await conversation(ctx, id), before);
    });
  });
});
