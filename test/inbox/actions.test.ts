// Issue 13, items 4, 5 and 8: what each inbox action says it did (notices with Undo), the activity
// lines in the thread, the label picker and the owner's label settings, and the list's power: the
// All tab, sorting, the in-place search and bulk actions, each refusing bad input clearly.
import assert from 'node:assert/strict';
import request from 'supertest';
import { erasePerson } from '../../src/conversations/erase';
import { signIn, type Agent } from '../support/browser-session';
import { conversation, count, customerWrites, DAY, HOUR, inboxContext, OWNER, rowIds, STAFF, type InboxContext } from './support';

describe('Inbox actions (notices, activity lines, labels, bulk, sort, search)', () => {
  let ctx: InboxContext;
  let agent: Agent;
  let csrf: string;
  let a: number;
  let b: number;
  let c: number;
  beforeEach(async () => {
    ctx = await inboxContext();
    const now = Date.now();
    a = await customerWrites(ctx, '7000000001', 'Do you ship the blue vase abroad?', now - 3 * HOUR);
    b = await customerWrites(ctx, '7000000002', 'Hello, I have a question about candles', now - 2 * HOUR);
    c = await customerWrites(ctx, '7000000003', 'Is the shop open on Sunday?', now - HOUR);
    ({ agent, csrf } = await signIn(ctx.app, STAFF));
  });
  afterEach(() => ctx.close());

  const form = (path: string, body: Record<string, string | string[]> = {}) =>
    agent
      .post(path)
      .type('form')
      .send({ _csrf: csrf, ...body });
  /** Follows a redirect with the cookies it set (the notice), as a browser does. */
  const follow = async (res: request.Response) => agent.get(res.headers.location as string);

  describe('notices and Undo', () => {
    it('should say "Resolved" with an Undo that puts the conversation back, and show it once', async () => {
      const res = await form(`/conversations/${a}/status?status=open`, { status: 'resolved' });
      assert.equal(res.status, 303);
      const page = await follow(res);
      assert.match(page.text, /id="inbox-notice"[\s\S]*<p>Resolved<\/p>/);
      assert.match(page.text, new RegExp(`action="/conversations/${a}/restore\\?status=open`));
      assert.match(page.text, /<input type="hidden" name="status" value="open">/);
      assert.doesNotMatch((await agent.get(res.headers.location as string)).text, /id="inbox-notice"/, 'shown once');
      const undo = await form(`/conversations/${a}/restore`, { status: 'open' });
      assert.equal(undo.status, 303);
      assert.equal((await conversation(ctx, a)).status, 'open');
      assert.match((await follow(undo)).text, /<p>Undone<\/p>/);
    });

    it('should say until when a snooze lasts, show it on the row, and undo it', async () => {
      const res = await form(`/conversations/${b}/snooze`, { preset: '1h' });
      assert.equal(res.status, 303);
      const state = await conversation(ctx, b);
      assert.equal(state.status, 'snoozed');
      const page = await follow(res);
      assert.match(page.text, /<p>Snoozed until <strong>[^<]+<\/strong><\/p>/);
      assert.match(page.text, /data-undo>Undo</);
      assert.match((await agent.get('/?status=snoozed')).text, /class="snoozed-until"[^>]*>Snoozed until \d\d:\d\d/);
      await form(`/conversations/${b}/restore`, { status: 'open' });
      assert.equal((await conversation(ctx, b)).status, 'open');
    });

    it('should undo a snooze back into the earlier snooze, or open when that time has passed', async () => {
      const until = Date.now() + DAY;
      await ctx.deps.workflow.snooze(a, until);
      await form(`/conversations/${a}/status`, { status: 'resolved' });
      await form(`/conversations/${a}/restore`, { status: 'snoozed', until: String(until) });
      assert.deepEqual([(await conversation(ctx, a)).status, (await conversation(ctx, a)).snoozed_until], ['snoozed', until]);
      await form(`/conversations/${a}/restore`, { status: 'snoozed', until: String(Date.now() - 1000) });
      assert.equal((await conversation(ctx, a)).status, 'open');
    });

    it('should refuse a bad snooze time and a bad restore with 400, changing nothing', async () => {
      for (const body of <Record<string, string>[]>[
        { until: 'not a date' },
        { until: '2001-01-01T09:00' },
        { preset: 'someday' },
      ]) {
        const res = await form(`/conversations/${a}/snooze`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
      }
      assert.equal((await form(`/conversations/${a}/restore`, { status: 'gone' })).status, 400);
      assert.equal((await conversation(ctx, a)).status, 'open');
    });

    it('should go back to a list that shows a conversation marked unread, keeping it in view', async () => {
      await form(`/conversations/${c}/status`, { status: 'pending' });
      const res = await form(`/conversations/${c}/unread?status=open`);
      assert.equal(res.status, 303);
      // Pending is not in the Open list it came from: the list of all of them shows it.
      assert.match(res.headers.location as string, /status=all/);
      const page = await follow(res);
      assert.ok(rowIds(page.text).includes(c));
      assert.match(page.text, new RegExp(`data-notice-focus="${c}"`));
      assert.equal((await conversation(ctx, c)).unread_count, 1);
    });
  });

  describe('activity lines', () => {
    it('should show who assigned, labelled, snoozed and resolved, between the messages in time order', async () => {
      await form(`/conversations/${a}/assign`, { assignee_id: 'me' });
      await form(`/conversations/${a}/assign`, { assignee_id: String(ctx.ownerId) });
      await form(`/conversations/${a}/labels`, { name: 'VIP' });
      await form(`/conversations/${a}/status`, { status: 'resolved' });
      await customerWrites(ctx, '7000000001', 'One more thing');
      const page = await agent.get(`/conversations/${a}`);
      const lines = [...page.text.matchAll(/<li class="activity-line"[^>]*>\s*<span>([^<]+) · <time/g)].map((m) => m[1]);
      assert.deepEqual(lines, [
        'Sam Staff took the conversation',
        'Sam Staff assigned Olivia Owner',
        'Sam Staff added label VIP',
        'Sam Staff resolved',
      ]);
      const order = [...page.text.matchAll(/id="(message|activity)-\d+"/g)].map((m) => m[1]);
      assert.deepEqual(order, ['message', 'activity', 'activity', 'activity', 'activity', 'message']);
    });
  });

  describe('labels in the header', () => {
    it('should add an existing label by id, a new one by name, and remove one, each leaving a line', async () => {
      await ctx.deps.workflow.addLabel(b, 'Wholesale');
      const { id: wholesale } = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM labels WHERE name = 'Wholesale'"))!;
      assert.equal((await form(`/conversations/${a}/labels`, { label_id: String(wholesale) })).status, 303);
      assert.equal((await form(`/conversations/${a}/labels`, { name: '  Gift   wrap ' })).status, 303);
      const page = await agent.get(`/conversations/${a}`);
      assert.match(page.text, /data-label-name="Gift wrap" aria-pressed="true"/);
      assert.match(page.text, /data-label-name="Wholesale" aria-pressed="true"/);
      await form(`/conversations/${a}/labels/${wholesale}/remove`);
      assert.match((await agent.get(`/conversations/${a}`)).text, /Sam Staff removed label Wholesale/);
    });

    it('should refuse an unknown label id and an empty or too long name with 400', async () => {
      assert.equal((await form(`/conversations/${a}/labels`, { label_id: '999' })).status, 400);
      assert.equal((await form(`/conversations/${a}/labels`, { label_id: 'x' })).status, 400);
      assert.equal((await form(`/conversations/${a}/labels`, { name: '   ' })).status, 400);
      assert.equal((await form(`/conversations/${a}/labels`, { name: 'x'.repeat(41) })).status, 400);
      assert.equal(await count(ctx, 'SELECT * FROM conversation_labels'), 0);
    });

    it('should answer 404 for the actions on a conversation that was erased', async () => {
      const contactId = (await ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [a]))!
        .contact_id;
      await ctx.deps.conversations.write((w) => erasePerson(w, contactId));
      for (const [path, body] of [
        ['labels', { name: 'VIP' }],
        ['snooze', { preset: '1h' }],
        ['restore', { status: 'open' }],
        ['assign', { assignee_id: 'me' }],
      ] as const)
        assert.equal((await form(`/conversations/${a}/${path}`, body)).status, 404, path);
    });
  });

  describe('GET / (the list): All, sort and in-place search', () => {
    it('should list every status under All, with its count', async () => {
      await form(`/conversations/${a}/status`, { status: 'resolved' });
      await form(`/conversations/${b}/snooze`, { preset: 'tomorrow' });
      const page = await agent.get('/?status=all');
      assert.deepEqual(rowIds(page.text), [c, b, a]);
      assert.match(page.text, /aria-current="page">All <span class="count">3<\/span>/);
      assert.deepEqual(rowIds((await agent.get('/?status=open')).text), [c]);
    });

    it('should sort by newest, oldest and the customer waiting longest', async () => {
      assert.deepEqual(rowIds((await agent.get('/')).text), [c, b, a]);
      assert.deepEqual(rowIds((await agent.get('/?sort=oldest')).text), [a, b, c]);
      // b is answered: it leaves the waiting ones, which come first, longest waiting first.
      await ctx.deps.outbox.queue({ conversationId: b, text: 'Sure, ask away', files: [], sentBy: 'user', userId: ctx.staffId });
      await customerWrites(ctx, '7000000003', 'Hello?');
      assert.deepEqual(rowIds((await agent.get('/?sort=waiting')).text), [a, c, b]);
      assert.match((await agent.get('/?sort=waiting')).text, /data-order="asc"/);
      assert.equal((await agent.get('/?sort=sideways')).status, 200, 'an unknown sort is the default');
    });

    it('should page through a sorted list with its cursor', async () => {
      for (let i = 0; i < 52; i++)
        await customerWrites(ctx, `71000000${String(i).padStart(2, '0')}`, `Hi ${i}`, Date.now() - DAY + i);
      const first = await agent.get('/?sort=oldest');
      const more = /href="\/\?([^"]*cursor=[^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&');
      const second = await agent.get(`/?${more}`);
      const ids = [...rowIds(first.text), ...rowIds(second.text)];
      assert.equal(new Set(ids).size, 55);
    });

    it('should filter the list by what is typed, with a link to the full search', async () => {
      const page = await agent.get('/?status=open&q=candles').set('HX-Request', 'true');
      assert.deepEqual(rowIds(page.text), [b]);
      assert.match(page.text, /data-searching/);
      assert.match(page.text, /<a href="\/search\?q=candles">See all results<\/a>/);
      assert.deepEqual(rowIds((await agent.get('/?q=nothing-like-this')).text), []);
    });
  });

  describe('POST /conversations/bulk', () => {
    it('should resolve the selection through the workflow, saying how many', async () => {
      const res = await form('/conversations/bulk?status=open', { action: 'resolve', ids: [String(a), String(b)] });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/?status=open&who=all');
      assert.deepEqual([(await conversation(ctx, a)).status, (await conversation(ctx, b)).status], ['resolved', 'resolved']);
      assert.match((await follow(res)).text, /<p>Resolved 2 conversations\.<\/p>/);
      assert.equal(await count(ctx, "SELECT * FROM conversation_events WHERE kind = 'status' AND value = 'resolved'"), 2);
    });

    it('should assign, label and mark read the selection', async () => {
      await form('/conversations/bulk', { action: 'assign', assignee_id: 'me', ids: [String(a), String(c)] });
      assert.equal((await conversation(ctx, a)).assignee_id, ctx.staffId);
      assert.equal((await conversation(ctx, c)).assignee_id, ctx.staffId);
      await form('/conversations/bulk', { action: 'label', name: 'Follow up', ids: [String(a), String(b)] });
      assert.equal(await count(ctx, 'SELECT * FROM conversation_labels'), 2);
      await form('/conversations/bulk', { action: 'read', ids: [String(a), String(b), String(c)] });
      assert.equal(await count(ctx, 'SELECT * FROM conversations WHERE unread_count > 0'), 0);
    });

    it('should report the conversations it could not change (erased) and change the rest', async () => {
      const contactId = (await ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [b]))!
        .contact_id;
      await ctx.deps.conversations.write((w) => erasePerson(w, contactId));
      const res = await form('/conversations/bulk', { action: 'resolve', ids: [String(a), String(b), '99999'] });
      assert.equal(res.status, 303);
      const page = await follow(res);
      assert.match(page.text, /role="alert"/);
      assert.match(page.text, /Resolved 1 of 3; 2 could not be changed:/);
      assert.match(page.text, new RegExp(`Conversation #${b}: it no longer exists`));
      assert.match(page.text, /Conversation #99999: it no longer exists/);
      assert.equal((await conversation(ctx, a)).status, 'resolved');
    });

    it('should refuse an empty selection, bad ids, an unknown action, label or assignee with 400', async () => {
      const cases: [Record<string, string | string[]>, string][] = [
        [{ action: 'resolve' }, 'empty-selection'],
        [{ action: 'resolve', ids: '' }, 'empty-selection'],
        [{ action: 'resolve', ids: ['1', 'abc'] }, 'invalid-selection'],
        [{ action: 'explode', ids: [String(a)] }, 'invalid-action'],
        [{ action: 'label', label_id: '999', ids: [String(a)] }, 'unknown-label'],
        [{ action: 'label', name: '', ids: [String(a)] }, 'invalid-label'],
        [{ action: 'assign', assignee_id: '999', ids: [String(a)] }, 'invalid-assignee'],
      ];
      for (const [body, code] of cases) {
        const res = await form('/conversations/bulk', body).set('Accept', 'application/json');
        assert.equal(res.status, 400, code);
        assert.equal(res.body.error.code, code);
      }
      const many = Array.from({ length: 201 }, (_, i) => String(i + 1));
      assert.equal((await form('/conversations/bulk', { action: 'resolve', ids: many })).status, 400);
      assert.equal((await conversation(ctx, a)).status, 'open');
    });

    it('should refuse a bulk POST without the CSRF token or a session', async () => {
      assert.equal(
        (
          await agent
            .post('/conversations/bulk')
            .type('form')
            .send({ action: 'resolve', ids: String(a) })
        ).status,
        403,
      );
      const anonymous = await request(ctx.app)
        .post('/conversations/bulk')
        .type('form')
        .send({ action: 'resolve', ids: String(a) });
      assert.ok([303, 401, 403].includes(anonymous.status));
      assert.equal((await conversation(ctx, a)).status, 'open');
    });
  });

  describe('Settings → Labels', () => {
    let owner: { agent: Agent; csrf: string };
    let vip: number;
    beforeEach(async () => {
      await ctx.deps.workflow.addLabel(a, 'VIP');
      await ctx.deps.workflow.addLabel(b, 'VIP');
      vip = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM labels WHERE name = 'VIP'"))!.id;
      owner = await signIn(ctx.app, OWNER);
    });
    const ownerForm = (path: string, body: Record<string, string> = {}) =>
      owner.agent
        .post(path)
        .type('form')
        .send({ _csrf: owner.csrf, ...body });

    it('should list labels with their use count for the owner, and answer 403 to staff', async () => {
      const page = await owner.agent.get('/settings/labels');
      assert.equal(page.status, 200);
      assert.match(page.text, /<span class="label label-gray">VIP<\/span><\/td>\s*<td>2 conversations<\/td>/);
      assert.match(page.text, /aria-current="page">Labels</);
      assert.equal((await agent.get('/settings/labels')).status, 403);
      assert.equal((await form(`/settings/labels/${vip}`, { color: 'red' })).status, 403);
      assert.equal((await form(`/settings/labels/${vip}/delete`)).status, 403);
    });

    it('should change the colour and name, audited, and show it on the conversations', async () => {
      const res = await ownerForm(`/settings/labels/${vip}`, { name: 'Very important', color: 'purple' });
      assert.equal(res.status, 303);
      assert.match((await owner.agent.get(res.headers.location as string)).text, /Saved “Very important”/);
      assert.match((await agent.get('/')).text, /<span class="label label-purple">Very important<\/span>/);
      assert.equal(await count(ctx, "SELECT * FROM audit_log WHERE action = 'label.updated'"), 1);
    });

    it('should refuse a colour outside the palette, a name taken or empty, re-rendering with the message', async () => {
      await ctx.deps.workflow.addLabel(c, 'Wholesale');
      for (const [body, message] of [
        [{ color: 'chartreuse' }, /A colour is one of/],
        [{ name: 'wholesale' }, /There is already a label called wholesale/],
        [{ name: 'x'.repeat(41) }, /A label is 1 to 40 characters/],
      ] as const) {
        const res = await ownerForm(`/settings/labels/${vip}`, body);
        assert.equal(res.status, 400);
        assert.match(res.text, message);
      }
      assert.equal((await ownerForm('/settings/labels/999', { color: 'red' })).status, 404);
    });

    it('should delete a label, taking it off its conversations, audited', async () => {
      const res = await ownerForm(`/settings/labels/${vip}/delete`);
      assert.equal(res.status, 303);
      assert.equal(await count(ctx, 'SELECT * FROM conversation_labels'), 0);
      assert.equal(await count(ctx, "SELECT * FROM audit_log WHERE action = 'label.deleted'"), 1);
      assert.match((await owner.agent.get(res.headers.location as string)).text, /Deleted “VIP”/);
      // The activity lines keep the name it had.
      assert.match((await agent.get(`/conversations/${a}`)).text, /added label VIP/);
    });
  });
});
