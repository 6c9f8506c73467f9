import assert from 'node:assert/strict';
import request from 'supertest';
import { addUser, csrfFrom, PASSWORD, signIn } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

describe('the Users page (owner)', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
  });
  afterEach(() => ctx.close());

  async function invite(email: string, role = 'staff') {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const res = await agent.post('/users').type('form').send({ _csrf: csrf, email, role });
    return { agent, csrf, res };
  }

  it('should create an invitation link that works once and makes a staff account', async () => {
    const { res } = await invite('new@example.com');
    assert.equal(res.status, 200);
    const link = /value="http:\/\/127\.0\.0\.1:\d+(\/invite\/[^"]+)"/.exec(res.text)?.[1];
    assert.ok(link, 'the page shows the invitation link');
    const guest = request.agent(ctx.app);
    const form = await guest.get(link);
    assert.equal(form.status, 200);
    assert.match(form.text, /new@example.com/);
    const accepted = await guest
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), name: 'New Person', password: PASSWORD });
    assert.equal(accepted.status, 303);
    assert.equal((await guest.get('/')).status, 200, 'signed in after accepting');
    assert.equal((await request(ctx.app).get(link)).status, 404, 'the link is used up');
    const user = await ctx.deps.db.get<{ role: string; status: string; name: string }>(
      "SELECT role, status, name FROM users WHERE email = 'new@example.com'",
    );
    assert.deepEqual(user, { role: 'staff', status: 'active', name: 'New Person' });
  });

  it('should refuse to invite an email that already has an account', async () => {
    const { res } = await invite('owner@example.com');
    assert.equal(res.status, 409);
    assert.match(res.text, /already has an account/);
  });

  it('should change a role and write it to the audit log', async () => {
    const staff = await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const res = await agent.post(`/users/${staff.id}/role`).type('form').send({ _csrf: csrf, role: 'owner' });
    assert.equal(res.status, 303);
    assert.equal((await ctx.deps.db.get<{ role: string }>('SELECT role FROM users WHERE id = ?', [staff.id]))?.role, 'owner');
    const audit = await ctx.deps.db.get<{ detail: string; target: string }>(
      "SELECT detail, target FROM audit_log WHERE action = 'user.role-changed'",
    );
    assert.equal(audit?.target, 'staff@example.com');
    assert.deepEqual(JSON.parse(audit!.detail), { from: 'staff', to: 'owner' });
  });

  it('should disable a user: their session ends and they cannot sign in', async () => {
    const staff = await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    const staffSession = await signIn(ctx.app, 'staff@example.com');
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    assert.equal((await agent.post(`/users/${staff.id}/disable`).type('form').send({ _csrf: csrf })).status, 303);
    assert.equal((await staffSession.agent.get('/')).status, 303, 'the open session is gone');
    await assert.rejects(signIn(ctx.app, 'staff@example.com'), /401/);
    assert.equal((await agent.post(`/users/${staff.id}/enable`).type('form').send({ _csrf: csrf })).status, 303);
    await signIn(ctx.app, 'staff@example.com');
  });

  it('should remove a user', async () => {
    const staff = await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    assert.equal((await agent.post(`/users/${staff.id}/delete`).type('form').send({ _csrf: csrf })).status, 303);
    assert.equal(await ctx.deps.db.get('SELECT id FROM users WHERE id = ?', [staff.id]), undefined);
  });

  it('should never leave the install without an active owner', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const res = await agent.post('/users/1/role').type('form').send({ _csrf: csrf, role: 'staff' });
    assert.equal(res.status, 409);
    assert.match(res.text, /only owner/);
    assert.equal((await ctx.deps.db.get<{ role: string }>('SELECT role FROM users WHERE id = 1'))?.role, 'owner');
  });
});
