import assert from 'node:assert/strict';
import request from 'supertest';
import { createCanned, validateCanned } from '../../src/inbox/canned';
import { signIn, type Agent } from '../support/browser-session';
import { count, inboxContext, OWNER, STAFF, type InboxContext } from './support';

describe('Canned responses', () => {
  let ctx: InboxContext;
  beforeEach(async () => {
    ctx = await inboxContext();
  });
  afterEach(() => ctx.close());

  const rows = () =>
    ctx.deps.db.all<{ id: number; shortcut: string; text: string }>(
      'SELECT id, shortcut, text FROM canned_responses ORDER BY id',
    );

  describe('GET /canned?q= (the composer\'s "/" menu)', () => {
    beforeEach(async () => {
      const db = ctx.deps.db;
      await createCanned(db, { shortcut: 'hours', text: 'We are open Monday to Friday, 9:00 to 17:00.' });
      await createCanned(db, { shortcut: 'holiday', text: 'We are closed for the holidays until the 3rd.' });
      await createCanned(db, { shortcut: 'ship', text: 'Shipping takes 2–3 working days.' });
      await createCanned(db, { shortcut: 'thanks', text: 'Thank you! See you soon.' });
      await createCanned(db, { shortcut: '100_percent', text: 'Yes, 100% cotton.' });
    });

    it('should answer any signed-in user with JSON {data:[{id, shortcut, text}]}, shortcut prefix first, then text matches', async () => {
      const { agent } = await signIn(ctx.app, STAFF);
      const res = await agent.get('/canned?q=ho').set('Accept', 'application/json');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /application\/json/);
      assert.deepEqual(
        res.body.data.map((c: { shortcut: string }) => c.shortcut),
        ['holiday', 'hours'],
      );
      assert.deepEqual(Object.keys(res.body.data[0]).sort(), ['id', 'shortcut', 'text']);
      // "open" is in a text only; the match is case-insensitive.
      const byText = await agent.get('/canned?q=OPEN').set('Accept', 'application/json');
      assert.deepEqual(
        byText.body.data.map((c: { shortcut: string }) => c.shortcut),
        ['hours'],
      );
      // Prefix matches on the shortcut rank before text matches ("th": thanks; "the": holidays text).
      const ranked = await agent.get('/canned?q=th').set('Accept', 'application/json');
      assert.deepEqual(
        ranked.body.data.map((c: { shortcut: string }) => c.shortcut),
        ['thanks', 'holiday'],
      );
    });

    it('should list the first ones for an empty query, at most 8', async () => {
      for (let i = 0; i < 10; i++) await createCanned(ctx.deps.db, { shortcut: `extra${i}`, text: `Extra answer ${i}` });
      const { agent } = await signIn(ctx.app, OWNER);
      const all = await agent.get('/canned?q=').set('Accept', 'application/json');
      assert.equal(all.body.data.length, 8);
      const many = await agent.get('/canned?q=extra').set('Accept', 'application/json');
      assert.equal(many.body.data.length, 8);
      assert.deepEqual((await agent.get('/canned?q=zzz').set('Accept', 'application/json')).body, { data: [] });
    });

    it('should take LIKE wildcards literally', async () => {
      const { agent } = await signIn(ctx.app, STAFF);
      const percent = await agent.get(`/canned?q=${encodeURIComponent('100%')}`).set('Accept', 'application/json');
      assert.deepEqual(
        percent.body.data.map((c: { shortcut: string }) => c.shortcut),
        ['100_percent'],
      );
      // As a wildcard "_" would match the h of "ship".
      const underscore = await agent.get('/canned?q=s_ip').set('Accept', 'application/json');
      assert.deepEqual(underscore.body, { data: [] });
      const literal = await agent.get('/canned?q=100_').set('Accept', 'application/json');
      assert.deepEqual(
        literal.body.data.map((c: { shortcut: string }) => c.shortcut),
        ['100_percent'],
      );
    });

    it('should answer a signed-out client with 401 JSON', async () => {
      const res = await request(ctx.app).get('/canned?q=ho').set('Accept', 'application/json');
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
    });
  });

  describe('validation', () => {
    it('should accept 1–30 letters, digits, - and _, and 1–2000 characters of text', () => {
      assert.deepEqual(validateCanned({ shortcut: ' /Opening-hours_2 ', text: ' Hi \n there ' }), {
        shortcut: 'Opening-hours_2',
        text: 'Hi \n there',
      });
      assert.deepEqual(validateCanned({ shortcut: 'x'.repeat(30), text: 'y'.repeat(2000) }), {
        shortcut: 'x'.repeat(30),
        text: 'y'.repeat(2000),
      });
      for (const shortcut of ['', 'x'.repeat(31), 'two words', 'café', 'a/b', 'semi;colon', undefined]) {
        assert.throws(() => validateCanned({ shortcut, text: 'ok' }), { code: 'invalid-shortcut' }, String(shortcut));
      }
      for (const text of ['', '   ', 'y'.repeat(2001), 42]) {
        assert.throws(() => validateCanned({ shortcut: 'ok', text }), { code: 'invalid-canned-text' }, String(text).slice(0, 10));
      }
    });
  });

  describe('Settings: the owner manages them', () => {
    let agent: Agent;
    let csrf: string;
    beforeEach(async () => {
      ({ agent, csrf } = await signIn(ctx.app, OWNER));
    });
    const post = (path: string, body: Record<string, string> = {}) =>
      agent
        .post(path)
        .type('form')
        .send({ _csrf: csrf, ...body });

    it('should show an empty section with an add form', async () => {
      const res = await agent.get('/settings/canned');
      assert.equal(res.status, 200);
      assert.match(res.text, /<section class="panel" id="canned">/);
      assert.match(res.text, /id="canned-empty"/);
      assert.match(res.text, /<form method="post" action="\/settings\/canned"/);
    });

    it('should add one, list it with edit and delete forms, and offer it in the composer', async () => {
      const res = await post('/settings/canned', { shortcut: 'hours', text: 'Open 9–17, Monday to Friday.' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/settings/canned?canned=saved');
      const [row] = await rows();
      assert.deepEqual({ shortcut: row.shortcut, text: row.text }, { shortcut: 'hours', text: 'Open 9–17, Monday to Friday.' });
      const page = await agent.get(res.headers.location);
      assert.match(page.text, /Canned response saved\./);
      assert.match(page.text, new RegExp(`<li id="canned-${row.id}">`));
      assert.match(page.text, /<strong>\/hours<\/strong> <span class="muted">Open 9–17, Monday to Friday\.<\/span>/);
      assert.match(page.text, new RegExp(`action="/settings/canned/${row.id}"`));
      assert.match(page.text, new RegExp(`action="/settings/canned/${row.id}/delete"`));
      const staff = await signIn(ctx.app, STAFF);
      const menu = await staff.agent.get('/canned?q=hou').set('Accept', 'application/json');
      assert.deepEqual(menu.body, { data: [{ id: row.id, shortcut: 'hours', text: 'Open 9–17, Monday to Friday.' }] });
    });

    it('should re-render the section with the reason and the input kept when invalid', async () => {
      const res = await post('/settings/canned', { shortcut: 'opening hours', text: 'Open 9–17.' });
      assert.equal(res.status, 400);
      assert.match(
        res.text,
        /<p class="alert alert-error" role="alert" id="canned-error">A shortcut is 1 to 30 letters, digits, - or _ \(no spaces\)\.<\/p>/,
      );
      assert.match(res.text, /<input name="shortcut" value="opening hours"/);
      assert.match(res.text, />Open 9–17\.<\/textarea>/);
      const long = await post('/settings/canned', { shortcut: 'long', text: 'x'.repeat(2001) });
      assert.equal(long.status, 400);
      assert.match(long.text, /The text is 1 to 2,000 characters\./);
      assert.equal(await count(ctx, 'SELECT 1 FROM canned_responses'), 0);
    });

    it('should refuse a shortcut that exists (ignoring case) with 409', async () => {
      await post('/settings/canned', { shortcut: 'hours', text: 'one' });
      const res = await post('/settings/canned', { shortcut: 'HOURS', text: 'two' });
      assert.equal(res.status, 409);
      assert.match(res.text, /There is already a canned response \/HOURS\./);
      assert.equal(await count(ctx, 'SELECT 1 FROM canned_responses'), 1);
    });

    it('should update one, refusing a duplicate shortcut and an unknown id', async () => {
      await post('/settings/canned', { shortcut: 'hours', text: 'old text' });
      await post('/settings/canned', { shortcut: 'ship', text: 'shipping' });
      const [hours, ship] = await rows();
      const res = await post(`/settings/canned/${hours.id}`, { shortcut: 'opening', text: 'new text' });
      assert.equal(res.status, 303);
      assert.deepEqual((await rows())[0], { id: hours.id, shortcut: 'opening', text: 'new text' });

      const dup = await post(`/settings/canned/${ship.id}`, { shortcut: 'Opening', text: 'still shipping' });
      assert.equal(dup.status, 409);
      // The edit form of that row stays open with what was typed.
      assert.match(
        dup.text,
        new RegExp(
          `<li id="canned-${ship.id}">[\\s\\S]*?<details open>[\\s\\S]*?value="Opening"[\\s\\S]*?>still shipping</textarea>`,
        ),
      );
      assert.deepEqual((await rows())[1], ship);

      const invalid = await post(`/settings/canned/${ship.id}`, { shortcut: 'ship', text: '' });
      assert.equal(invalid.status, 400);
      assert.equal((await post('/settings/canned/9999', { shortcut: 'x', text: 'y' })).status, 404);
    });

    it('should delete one', async () => {
      await post('/settings/canned', { shortcut: 'hours', text: 'x' });
      const [row] = await rows();
      const res = await post(`/settings/canned/${row.id}/delete`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/settings/canned?canned=deleted');
      assert.equal(await count(ctx, 'SELECT 1 FROM canned_responses'), 0);
      assert.match((await agent.get(res.headers.location)).text, /Canned response deleted\./);
      const again = await post(`/settings/canned/${row.id}/delete`);
      assert.equal(again.status, 404);
      assert.match(again.text, /That canned response does not exist/);
    });

    it('should refuse staff with 403 on every change', async () => {
      await post('/settings/canned', { shortcut: 'hours', text: 'x' });
      const [row] = await rows();
      const staff = await signIn(ctx.app, STAFF);
      for (const path of ['/settings/canned', `/settings/canned/${row.id}`, `/settings/canned/${row.id}/delete`]) {
        const res = await staff.agent.post(path).type('form').send({ _csrf: staff.csrf, shortcut: 'evil', text: 'evil' });
        assert.equal(res.status, 403, path);
      }
      assert.deepEqual(await rows(), [row]);
    });

    it('should refuse a post without the CSRF token with 403, and send a signed-out one to sign in', async () => {
      for (const path of ['/settings/canned', '/settings/canned/1', '/settings/canned/1/delete']) {
        assert.equal((await agent.post(path).type('form').send({ shortcut: 'forged', text: 'x' })).status, 403, path);
      }
      const visitor = request.agent(ctx.app);
      const token = /name="_csrf" value="([^"]+)"/.exec((await visitor.get('/login')).text)![1];
      const res = await visitor.post('/settings/canned').type('form').send({ _csrf: token, shortcut: 'forged', text: 'x' });
      assert.equal(res.status, 303);
      assert.match(res.headers.location, /^\/login\?next=/);
      assert.equal(await count(ctx, 'SELECT 1 FROM canned_responses'), 0);
    });
  });
});
