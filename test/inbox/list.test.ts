import assert from 'node:assert/strict';
import request from 'supertest';
import { signIn } from '../support/browser-session';
import { makeContext } from '../support/context';
import { customersWrite, customerWrites, inboxContext, OWNER, rowIds, STAFF, type InboxContext } from './support';

/** Decodes the HTML entities EJS writes into attribute values. */
const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&#34;/g, '"');

describe('GET / (the inbox list)', () => {
  let ctx: InboxContext;
  beforeEach(async () => {
    ctx = await inboxContext();
  });
  afterEach(() => ctx.close());

  describe('signed out', () => {
    it('should redirect to the sign-in page, remembering where to return', async () => {
      const res = await request(ctx.app).get('/?status=pending');
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/login?next=${encodeURIComponent('/?status=pending')}`);
    });

    it('should answer an htmx request with 401 and HX-Redirect', async () => {
      const res = await request(ctx.app).get('/').set('HX-Request', 'true');
      assert.equal(res.status, 401);
      assert.match(res.headers['hx-redirect'], /^\/login/);
    });

    it('should send the first visitor of a new install to setup', async () => {
      const fresh = await makeContext();
      try {
        const res = await request(fresh.app).get('/');
        assert.equal(res.status, 303);
        assert.equal(res.headers.location, '/setup');
      } finally {
        await fresh.close();
      }
    });
  });

  describe('empty states', () => {
    it('should tell a new owner in sandbox mode to try the Simulator or connect the Page', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      const res = await agent.get('/');
      assert.equal(res.status, 200);
      assert.match(res.text, /Your inbox is ready/);
      assert.match(res.text, /<strong>sandbox mode<\/strong>/);
      assert.match(res.text, /open the <a href="\/simulator">Simulator<\/a>/);
      assert.match(res.text, /href="\/settings\/messenger"/);
    });

    it('should say messages appear here when the Page is connected (no Simulator hint)', async () => {
      const live = await inboxContext({
        FB_PAGE_ID: '1029384756',
        FB_PAGE_ACCESS_TOKEN: 'EAAlive',
        FB_APP_SECRET: 'live-secret',
        FB_APP_ID: '4242',
      });
      try {
        const { agent } = await signIn(live.app, OWNER);
        const res = await agent.get('/');
        assert.equal(res.status, 200);
        assert.match(res.text, /Your inbox is ready/);
        assert.match(res.text, /New Messenger messages appear here the moment they arrive/);
        assert.doesNotMatch(res.text, /sandbox mode/);
        assert.doesNotMatch(res.text, /href="\/simulator"/);
      } finally {
        await live.close();
      }
    });

    it('should say "Nothing here" (not the welcome) when only the filter is empty', async () => {
      await customerWrites(ctx, '1001', 'hello');
      const { agent } = await signIn(ctx.app, OWNER);
      const res = await agent.get('/?status=resolved');
      assert.equal(res.status, 200);
      assert.match(res.text, /id="list-empty">Nothing here\./);
      assert.doesNotMatch(res.text, /Your inbox is ready/);
    });
  });

  describe('rows and filters', () => {
    let ids: Record<string, number>;
    let vipId: number;
    beforeEach(async () => {
      const now = Date.now();
      // Newest first: a, b, c, … (one second apart).
      const psids = ['9000000001', '9000000002', '9000000003', '9000000004', '9000000005', '9000000006'];
      await customersWrite(
        ctx,
        psids.map((psid, i) => ({ psid, text: `message from ${psid}`, at: now - i * 1000 })),
      );
      const db = ctx.deps.db;
      const rows = await db.all<{ id: number; psid: string }>(
        'SELECT c.id, k.psid FROM conversations c JOIN contacts k ON k.id = c.contact_id',
      );
      const byPsid = Object.fromEntries(rows.map((r) => [r.psid, r.id]));
      ids = {
        a: byPsid[psids[0]],
        b: byPsid[psids[1]],
        c: byPsid[psids[2]],
        d: byPsid[psids[3]],
        e: byPsid[psids[4]],
        f: byPsid[psids[5]],
      };
      const wf = ctx.deps.workflow;
      // a: open, unassigned, unread. b: open, staff's, read. c: open, owner's, read, VIP.
      await wf.assign(ids.b, ctx.staffId);
      await wf.markRead(ids.b);
      await wf.assign(ids.c, ctx.ownerId);
      await wf.markRead(ids.c);
      await wf.addLabel(ids.c, 'VIP');
      vipId = (await db.get<{ id: number }>("SELECT id FROM labels WHERE name = 'VIP'"))!.id;
      await wf.setStatus(ids.d, 'pending');
      await wf.setStatus(ids.e, 'resolved');
      await wf.snooze(ids.f, Date.now() + 3600_000);
    });

    it('should list open conversations, newest activity first, with name, preview, time, unread, assignee, labels and window', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      const res = await agent.get('/');
      assert.equal(res.status, 200);
      assert.deepEqual(rowIds(res.text), [ids.a, ids.b, ids.c]);
      const row = (id: number) => new RegExp(`<li id="conv-row-${id}"[\\s\\S]*?</li>`).exec(res.text)![0];
      assert.match(row(ids.a), /class="conversation-row unread"/);
      assert.match(row(ids.a), /Messenger user 0001/);
      assert.match(row(ids.a), /message from 9000000001/);
      assert.match(row(ids.a), /aria-label="1 unread"/);
      assert.match(row(ids.a), /<time datetime="[^"]+">\d\d:\d\d<\/time>/);
      assert.match(row(ids.a), /class="window window-open" title="Time left in the 24-hour reply window">23 h 5\d min/);
      assert.match(row(ids.b), /→ Sam Staff/);
      assert.doesNotMatch(row(ids.b), /unread/);
      assert.match(row(ids.c), /class="label label-gray">VIP</);
      // Tabs count every status.
      assert.match(res.text, /Open <span class="count">3<\/span>/);
      assert.match(res.text, /Pending <span class="count">1<\/span>/);
      assert.match(res.text, /Snoozed <span class="count">1<\/span>/);
      assert.match(res.text, /Resolved <span class="count">1<\/span>/);
      // One open conversation is unread: the number for the tab title.
      assert.match(res.text, /id="unread-total" data-count="1"/);
    });

    it('should filter by status', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      assert.deepEqual(rowIds((await agent.get('/?status=pending')).text), [ids.d]);
      assert.deepEqual(rowIds((await agent.get('/?status=resolved')).text), [ids.e]);
      assert.deepEqual(rowIds((await agent.get('/?status=snoozed')).text), [ids.f]);
      // Anything else is the Open list.
      assert.deepEqual(rowIds((await agent.get('/?status=bogus')).text), [ids.a, ids.b, ids.c]);
    });

    it('should filter mine / unassigned / all for the signed-in user', async () => {
      const owner = await signIn(ctx.app, OWNER);
      assert.deepEqual(rowIds((await owner.agent.get('/?who=mine')).text), [ids.c]);
      assert.deepEqual(rowIds((await owner.agent.get('/?who=unassigned')).text), [ids.a]);
      assert.deepEqual(rowIds((await owner.agent.get('/?who=all')).text), [ids.a, ids.b, ids.c]);
      const staff = await signIn(ctx.app, STAFF);
      assert.deepEqual(rowIds((await staff.agent.get('/?who=mine')).text), [ids.b]);
    });

    it('should filter unread only', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      assert.deepEqual(rowIds((await agent.get('/?unread=1')).text), [ids.a]);
    });

    it('should filter by label and keep the filter in the row links', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      const res = await agent.get(`/?label=${vipId}&who=all`);
      assert.deepEqual(rowIds(res.text), [ids.c]);
      assert.match(res.text, new RegExp(`href="/conversations/${ids.c}\\?status=open&amp;who=all&amp;label=${vipId}"`));
      assert.match(res.text, new RegExp(`<option value="${vipId}" selected>VIP</option>`));
    });

    it('should combine filters', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      assert.deepEqual(rowIds((await agent.get('/?who=unassigned&unread=1')).text), [ids.a]);
      assert.deepEqual(rowIds((await agent.get(`/?who=unassigned&label=${vipId}`)).text), []);
    });

    it('should show staff the same inbox', async () => {
      const { agent } = await signIn(ctx.app, STAFF);
      const res = await agent.get('/');
      assert.equal(res.status, 200);
      assert.deepEqual(rowIds(res.text), [ids.a, ids.b, ids.c]);
    });
  });

  describe('paging by cursor', () => {
    it('should page 65 conversations as 50 + 15, newest first, without gaps or repeats', async () => {
      const now = Date.now();
      await customersWrite(
        ctx,
        Array.from({ length: 65 }, (_, i) => ({ psid: String(8000000000 + i), text: `n${i}`, at: now - i * 1000 })),
      );
      const all = (
        await ctx.deps.db.all<{ id: number }>('SELECT id FROM conversations ORDER BY last_message_at DESC, id DESC')
      ).map((r) => r.id);
      assert.equal(all.length, 65);
      const { agent } = await signIn(ctx.app, OWNER);
      const first = await agent.get('/');
      assert.deepEqual(rowIds(first.text), all.slice(0, 50));
      const more = /<li id="list-more"><a class="button small more" href="([^"]+)"/.exec(first.text);
      assert.ok(more, 'the first page links to older conversations');
      const next = unescape(more[1]);
      assert.match(next, /^\/\?status=open&who=all&cursor=\d+%3A\d+$/);
      const second = await agent.get(next);
      assert.equal(second.status, 200);
      assert.deepEqual(rowIds(second.text), all.slice(50));
      assert.doesNotMatch(second.text, /id="list-more"/);
    });

    it('should keep the filter on the next page', async () => {
      const now = Date.now();
      await customersWrite(
        ctx,
        Array.from({ length: 70 }, (_, i) => ({ psid: String(7000000000 + i), text: `n${i}`, at: now - i * 1000 })),
      );
      // Every seventh conversation is assigned: 60 stay unassigned.
      const ids = (
        await ctx.deps.db.all<{ id: number }>('SELECT id FROM conversations ORDER BY last_message_at DESC, id DESC')
      ).map((r) => r.id);
      for (const [i, id] of ids.entries()) if (i % 7 === 0) await ctx.deps.workflow.assign(id, ctx.staffId);
      const unassigned = ids.filter((_, i) => i % 7 !== 0);
      const { agent } = await signIn(ctx.app, OWNER);
      const page1 = await agent.get('/?who=unassigned');
      assert.deepEqual(rowIds(page1.text), unassigned.slice(0, 50));
      const link = unescape(/id="list-more"><a class="button small more" href="([^"]+)"/.exec(page1.text)![1]);
      assert.match(link, /who=unassigned/);
      const page2 = await agent.get(link);
      assert.deepEqual(rowIds(page2.text), unassigned.slice(50));
      assert.doesNotMatch(page2.text, /id="list-more"/);
    });

    it('should refuse a cursor it did not give out with 400', async () => {
      const { agent } = await signIn(ctx.app, OWNER);
      const res = await agent.get('/?cursor=nonsense');
      assert.equal(res.status, 400);
      assert.match(res.text, /The cursor is not one this server gave out/);
    });
  });
});
