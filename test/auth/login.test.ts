import assert from 'node:assert/strict';
import request from 'supertest';
import { ACCOUNT_MAX_FAILURES, SOURCE_MAX_FAILURES } from '../../src/auth/throttle';
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
    /** A browser from its own address (the app trusts the loopback proxy's X-Forwarded-For). */
    const browser = (ip: string) => {
      const agent = request.agent(ctx.app);
      return {
        agent,
        async attempt(email: string, password: string) {
          const csrf = await csrfOf(agent, '/login');
          return agent.post('/login').set('x-forwarded-for', ip).type('form').send({ _csrf: csrf, email, password });
        },
      };
    };
    const passwordChecks = async () =>
      (
        await ctx.deps.db.all<{ detail: string }>("SELECT detail FROM audit_log WHERE action IN ('login.failed', 'login')")
      ).reduce((n, r) => n + (JSON.parse(r.detail ?? '{}').count ?? 1), 0);

    it(`should stop new browsers trying an account after ${ACCOUNT_MAX_FAILURES} failures, even with the right password`, async () => {
      const b = browser('10.0.0.1');
      for (let i = 0; i < ACCOUNT_MAX_FAILURES; i++)
        assert.equal((await b.attempt('owner@example.com', `wrong ${i} password`)).status, 401);
      const res = await b.attempt('owner@example.com', PASSWORD);
      assert.equal(res.status, 429);
      assert.match(res.text, /Too many sign-in attempts\. Try again in 15 minutes\./);
      assert.ok(Number(res.headers['retry-after']) > 0);
      const stranger = await browser('10.0.0.2').attempt('owner@example.com', PASSWORD);
      assert.equal(stranger.status, 429, 'from another address too: the account is what is limited');
    });

    it('should answer the same way for an account that does not exist', async () => {
      const known = browser('10.0.1.1');
      const unknown = browser('10.0.1.2');
      const strip = (html: string, email: string) =>
        html.replace(email, 'EMAIL').replace(/(value|content)="[A-Za-z0-9_-]{20,}"/g, '$1="TOKEN"');
      for (let i = 0; i <= ACCOUNT_MAX_FAILURES; i++) {
        const a = await known.attempt('owner@example.com', `wrong ${i} password`);
        const b = await unknown.attempt('nobody@example.com', `wrong ${i} password`);
        assert.equal(a.status, i < ACCOUNT_MAX_FAILURES ? 401 : 429);
        assert.equal(b.status, a.status);
        assert.equal(strip(a.text, 'owner@example.com'), strip(b.text, 'nobody@example.com'));
      }
    });

    it('should never lock the owner out of a browser that signed in before, whatever strangers try', async () => {
      const owners = browser('192.168.1.10');
      assert.equal((await owners.attempt('owner@example.com', PASSWORD)).status, 303);
      await owners.agent
        .post('/logout')
        .type('form')
        .send({ _csrf: await csrfOf(owners.agent, '/account') });
      const stranger = browser('203.0.113.9');
      for (let i = 0; i < 8; i++) await stranger.attempt('owner@example.com', `guess ${i} password`);
      assert.equal((await stranger.attempt('owner@example.com', PASSWORD)).status, 429);
      assert.equal((await owners.attempt('owner@example.com', PASSWORD)).status, 303, 'the known browser signs in');
    });

    it(`should stop an address after ${SOURCE_MAX_FAILURES} failures across accounts`, async () => {
      const b = browser('10.0.2.1');
      for (let i = 0; i < SOURCE_MAX_FAILURES; i++)
        assert.equal((await b.attempt(`guess${i}@example.com`, 'wrong password')).status, 401);
      const res = await b.attempt('owner@example.com', PASSWORD);
      assert.equal(res.status, 429);
      assert.match(res.text, /Too many sign-in attempts/);
      assert.equal(
        (await browser('10.0.2.2').attempt('owner@example.com', PASSWORD)).status,
        303,
        'another address is not affected',
      );
    });

    it(`should check at most ${SOURCE_MAX_FAILURES} passwords of 40 sent at once from one address`, async () => {
      const b = browser('10.0.3.1');
      const csrf = await csrfOf(b.agent, '/login');
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          b.agent
            .post('/login')
            .set('x-forwarded-for', '10.0.3.1')
            .type('form')
            .send({ _csrf: csrf, email: `guess${i}@example.com`, password: 'wrong password' }),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, SOURCE_MAX_FAILURES);
      assert.equal(statuses.filter((s) => s === 429).length, 40 - SOURCE_MAX_FAILURES);
      assert.equal(await passwordChecks(), SOURCE_MAX_FAILURES);
    });

    it(`should check at most ${ACCOUNT_MAX_FAILURES} passwords of 60 sent at once to one account from many addresses`, async () => {
      const results = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => browser(`10.1.${i}.1`).attempt('owner@example.com', `wrong ${i} password`)),
      );
      assert.equal(results.filter((r) => r.status === 401).length, ACCOUNT_MAX_FAILURES);
      assert.equal(results.filter((r) => r.status === 429).length, 60 - ACCOUNT_MAX_FAILURES);
      assert.equal(await passwordChecks(), ACCOUNT_MAX_FAILURES);
    });

    it('should let the owner in again after the CLI resets the password', async () => {
      const b = browser('10.0.4.1');
      for (let i = 0; i < ACCOUNT_MAX_FAILURES + 2; i++) await b.attempt('owner@example.com', `wrong ${i} password`);
      await setPassword(ctx.deps.db, 1, 'a brand new password');
      assert.equal((await browser('10.0.4.2').attempt('owner@example.com', 'a brand new password')).status, 303);
    });

    it('should keep one audit row, with a count, for a stream of failures from one address', async () => {
      const b = browser('10.0.5.1');
      for (let i = 0; i < 12; i++) await b.attempt(`x${i}@example.com`.padEnd(400, 'y'), 'wrong password');
      const rows = await ctx.deps.db.all<{ action: string; actor: string; detail: string }>(
        "SELECT action, actor, detail FROM audit_log WHERE ip = '10.0.5.1' ORDER BY id",
      );
      assert.deepEqual(
        rows.map((r) => [r.action, JSON.parse(r.detail).count ?? 1]),
        [
          ['login.failed', SOURCE_MAX_FAILURES],
          ['login.throttled', 12 - SOURCE_MAX_FAILURES],
        ],
      );
      assert.ok(
        rows.every((r) => r.actor.length <= 254),
        'the typed email is bounded',
      );
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
