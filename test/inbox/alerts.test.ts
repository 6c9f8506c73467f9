import assert from 'node:assert/strict';
import request from 'supertest';
import { signIn } from '../support/browser-session';
import { inboxContext, OWNER, STAFF, type InboxContext } from './support';

describe('New message alerts (per-user, on the account page)', () => {
  let ctx: InboxContext;
  beforeEach(async () => {
    ctx = await inboxContext();
  });
  afterEach(() => ctx.close());

  const prefs = async (userId: number) =>
    JSON.parse((await ctx.deps.db.get<{ prefs: string }>('SELECT prefs FROM users WHERE id = ?', [userId]))!.prefs);
  const live = (html: string) => /data-live data-sound="(on|off)" data-notify="(on|off)"/.exec(html)!.slice(1);

  it('should start off, with both toggles and the permission button on the account page', async () => {
    const { agent } = await signIn(ctx.app, STAFF);
    const account = await agent.get('/account');
    assert.equal(account.status, 200);
    assert.match(account.text, /<section class="panel" id="alerts">\s*<h2>New message alerts<\/h2>/);
    assert.match(account.text, /<form method="post" action="\/account\/alerts"/);
    assert.match(account.text, /<input type="checkbox" name="sound" value="on" >/);
    assert.match(account.text, /<input type="checkbox" name="notify" value="on" >/);
    // Wired by app.js (the CSP allows no inline script): browsers ask only from a click.
    assert.match(
      account.text,
      /<button type="button" class="button small" data-notify-permission hidden>Allow browser notifications<\/button>/,
    );
    assert.doesNotMatch(account.text, /<script>|onclick=/);
    assert.deepEqual(live((await agent.get('/')).text), ['off', 'off']);
  });

  it('should save sound and notifications for this user only, and the inbox reads them', async () => {
    const { agent, csrf } = await signIn(ctx.app, STAFF);
    const res = await agent.post('/account/alerts').type('form').send({ _csrf: csrf, sound: 'on', notify: 'on' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/account?alerts=saved#alerts');
    assert.deepEqual(await prefs(ctx.staffId), { sound: 'on', notify: 'on' });
    const account = await agent.get('/account?alerts=saved');
    assert.match(account.text, /Alert settings saved\./);
    assert.match(account.text, /name="sound" value="on" checked>/);
    assert.match(account.text, /name="notify" value="on" checked>/);
    assert.deepEqual(live((await agent.get('/')).text), ['on', 'on']);
    // The owner's are untouched.
    const owner = await signIn(ctx.app, OWNER);
    assert.deepEqual(live((await owner.agent.get('/')).text), ['off', 'off']);

    // An unchecked box is not sent: it means off.
    await agent.post('/account/alerts').type('form').send({ _csrf: csrf, notify: 'on' });
    assert.deepEqual(await prefs(ctx.staffId), { sound: 'off', notify: 'on' });
    assert.deepEqual(live((await agent.get('/')).text), ['off', 'on']);
  });

  it('should keep other preferences in users.prefs', async () => {
    await ctx.deps.db.run(`UPDATE users SET prefs = '{"theme":"dark","sound":"on"}' WHERE id = ?`, [ctx.ownerId]);
    const { agent, csrf } = await signIn(ctx.app, OWNER);
    await agent.post('/account/alerts').type('form').send({ _csrf: csrf });
    assert.deepEqual(await prefs(ctx.ownerId), { theme: 'dark', sound: 'off', notify: 'off' });
  });

  it('should refuse a post without the CSRF token (403) and send a signed-out one to sign in', async () => {
    const { agent } = await signIn(ctx.app, STAFF);
    assert.equal((await agent.post('/account/alerts').type('form').send({ sound: 'on' })).status, 403);
    assert.deepEqual(await prefs(ctx.staffId), {});
    const visitor = request.agent(ctx.app);
    const token = /name="_csrf" value="([^"]+)"/.exec((await visitor.get('/login')).text)![1];
    const res = await visitor.post('/account/alerts').type('form').send({ _csrf: token, sound: 'on' });
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /^\/login\?next=/);
  });
});
