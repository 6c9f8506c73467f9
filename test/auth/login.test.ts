import assert from 'node:assert/strict';
import request from 'supertest';
import { IP_MAX_FAILURES } from '../../src/auth/throttle';
import { setPassword } from '../../src/auth/users';
import { addUser, csrfOf, PASSWORD, signIn } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

describe('sign-in and sign-out', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
  });
  afterEach(() => ctx.close());

  async function attempt(agent: ReturnType<typeof request.agent>, email: string, password: string) {
    const csrf = await csrfOf(agent, '/login');
    return agent.post('/login').type('form').send({ _csrf: csrf, email, password });
  }

  describe('POST /login', () => {
    it('should sign in with the right password, set an HttpOnly SameSite=Lax cookie and audit it', async () => {
      const agent = request.agent(ctx.app);
      const res = await attempt(agent, 'owner@example.com', PASSWORD);
      assert.equal(res.status, 303);
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('chatx_session='));
      assert.ok(cookie, 'session cookie set');
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.doesNotMatch(cookie, /Secure/, 'not Secure on a plain-http PUBLIC_URL');
      assert.equal((await agent.get('/')).status, 200);
      const row = await ctx.deps.db.get<{ action: string; actor: string }>(
        "SELECT action, actor FROM audit_log WHERE action = 'login'",
      );
      assert.deepEqual(row, { action: 'login', actor: 'owner@example.com' });
    });

    it('should store only a hash of the session token', async () => {
      const agent = request.agent(ctx.app);
      const res = await attempt(agent, 'owner@example.com', PASSWORD);
      const token = /chatx_session=([^;]+)/.exec(([] as string[]).concat(res.headers['set-cookie']).join(';'))![1];
      const rows = await ctx.deps.db.all<{ id: string }>('SELECT id FROM sessions');
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0].id, token);
    });

    it('should refuse a wrong password with 401, keep the email, and audit the failure', async () => {
      const res = await attempt(request.agent(ctx.app), 'owner@example.com', 'wrong password!');
      assert.equal(res.status, 401);
      assert.match(res.text, /do not match/);
      assert.match(res.text, /value="owner@example.com"/);
      const row = await ctx.deps.db.get<{ detail: string }>("SELECT detail FROM audit_log WHERE action = 'login.failed'");
      assert.match(row!.detail, /wrong-password/);
    });

    it('should answer an unknown email exactly like a wrong password', async () => {
      const res = await attempt(request.agent(ctx.app), 'nobody@example.com', PASSWORD);
      assert.equal(res.status, 401);
      assert.match(res.text, /do not match/);
    });

    it('should go to a local ?next= address after sign-in, never to another site', async () => {
      const agent = request.agent(ctx.app);
      let csrf = await csrfOf(agent, '/login');
      let res = await agent
        .post('/login?next=%2Fcontacts')
        .type('form')
        .send({ _csrf: csrf, email: 'owner@example.com', password: PASSWORD });
      assert.equal(res.headers.location, '/contacts');
      const other = request.agent(ctx.app);
      csrf = await csrfOf(other, '/login');
      res = await other
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, email: 'owner@example.com', password: PASSWORD, next: '//evil.example' });
      assert.equal(res.headers.location, '/');
    });

    it('should refuse a disabled account even with the right password', async () => {
      await ctx.deps.db.run("UPDATE users SET status = 'disabled'");
      const res = await attempt(request.agent(ctx.app), 'owner@example.com', PASSWORD);
      assert.equal(res.status, 401);
    });
  });

  describe('throttling', () => {
    it(`should lock an account for a while after 5 failed sign-ins, even for the right password`, async () => {
      const agent = request.agent(ctx.app);
      for (let i = 0; i < 5; i++) assert.equal((await attempt(agent, 'owner@example.com', `wrong ${i} password`)).status, 401);
      const res = await attempt(agent, 'owner@example.com', PASSWORD);
      assert.equal(res.status, 429);
      assert.match(res.text, /locked/);
      assert.ok(Number(res.headers['retry-after']) > 0);
      const throttled = await ctx.deps.db.get<{ n: number }>(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'login.throttled'",
      );
      assert.equal(throttled?.n, 1);
    });

    it(`should stop an IP address after ${IP_MAX_FAILURES} failures across accounts`, async () => {
      const agent = request.agent(ctx.app);
      for (let i = 0; i < IP_MAX_FAILURES; i++) {
        assert.equal((await attempt(agent, `guess${i}@example.com`, 'wrong password')).status, 401);
      }
      const res = await attempt(agent, 'owner@example.com', PASSWORD);
      assert.equal(res.status, 429);
      assert.match(res.text, /from this address/);
    });

    it('should let the owner in again after the CLI resets the password', async () => {
      const agent = request.agent(ctx.app);
      for (let i = 0; i < 5; i++) await attempt(agent, 'owner@example.com', `wrong ${i} password`);
      await setPassword(ctx.deps.db, 1, 'a brand new password');
      assert.equal((await attempt(agent, 'owner@example.com', 'a brand new password')).status, 303);
    });
  });

  describe('POST /logout', () => {
    it('should end the session, so the inbox redirects to sign-in', async () => {
      const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
      const res = await agent.post('/logout').type('form').send({ _csrf: csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/login');
      assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM sessions'))?.n, 0);
      const after = await agent.get('/');
      assert.equal(after.status, 303);
      assert.match(after.headers.location, /^\/login/);
    });
  });

  describe('session expiry', () => {
    it('should end a session idle for longer than the idle limit', async () => {
      const { agent } = await signIn(ctx.app, 'owner@example.com');
      await ctx.deps.db.run('UPDATE sessions SET last_seen_at = last_seen_at - ?', [13 * 3600 * 1000]);
      assert.equal((await agent.get('/')).status, 303);
    });

    it('should end a session past its absolute lifetime even if used', async () => {
      const { agent } = await signIn(ctx.app, 'owner@example.com');
      await ctx.deps.db.run('UPDATE sessions SET expires_at = ?', [Date.now() - 1]);
      assert.equal((await agent.get('/')).status, 303);
    });
  });
});
