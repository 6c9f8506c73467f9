import assert from 'node:assert/strict';
import request from 'supertest';
import { addUser, csrfOf, signIn } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

const OWNER_PAGES = ['/settings', '/users', '/privacy/manage'];
const SIGNED_IN_PAGES = ['/', '/contacts', '/account', ...OWNER_PAGES];

describe('access control', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
    await addUser(ctx.deps.db, 'staff@example.com', 'staff');
  });
  afterEach(() => ctx.close());

  describe('without a session', () => {
    for (const path of SIGNED_IN_PAGES) {
      it(`should redirect GET ${path} to the sign-in page, remembering where to return`, async () => {
        const res = await request(ctx.app).get(path);
        assert.equal(res.status, 303);
        assert.equal(res.headers.location, `/login?next=${encodeURIComponent(path)}`);
      });
    }

    it('should answer an htmx request with 401 and HX-Redirect', async () => {
      const res = await request(ctx.app).get('/contacts').set('HX-Request', 'true');
      assert.equal(res.status, 401);
      assert.match(res.headers['hx-redirect'], /^\/login/);
    });

    it('should answer the JSON API with 401 and an error code', async () => {
      const res = await request(ctx.app).get('/api/v1/conversations');
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
    });

    it('should refuse a wrong bearer token with 401 invalid-token', async () => {
      const res = await request(ctx.app).get('/api/v1/conversations').set('Authorization', 'Bearer chx_nope');
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid-token');
    });

    it('should keep public pages public: /healthz, /privacy, /login', async () => {
      assert.equal((await request(ctx.app).get('/healthz')).status, 200);
      assert.equal((await request(ctx.app).get('/privacy')).status, 200);
      assert.equal((await request(ctx.app).get('/login')).status, 200);
    });
  });

  describe('as staff', () => {
    for (const path of OWNER_PAGES) {
      it(`should answer 403 on the owner page ${path}`, async () => {
        const { agent } = await signIn(ctx.app, 'staff@example.com');
        const res = await agent.get(path);
        assert.equal(res.status, 403);
        assert.match(res.text, /Only the owner/);
      });
    }

    it('should answer 403 to a staff POST to owner settings, changing nothing', async () => {
      const { agent, csrf } = await signIn(ctx.app, 'staff@example.com');
      const res = await agent.post('/settings/business').type('form').send({ _csrf: csrf, business_name: 'Hijacked' });
      assert.equal(res.status, 403);
      assert.equal(await ctx.deps.db.get("SELECT value FROM settings WHERE key = 'business.name'"), undefined);
    });

    it('should not show owner links in the navigation', async () => {
      const { agent } = await signIn(ctx.app, 'staff@example.com');
      const res = await agent.get('/');
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.text, /href="\/users"/);
      assert.match(res.text, /href="\/contacts"/);
    });
  });

  describe('as owner', () => {
    for (const path of SIGNED_IN_PAGES) {
      it(`should show ${path}`, async () => {
        const { agent } = await signIn(ctx.app, 'owner@example.com');
        assert.equal((await agent.get(path)).status, 200);
      });
    }
  });

  describe('CSRF', () => {
    it('should refuse a signed-in form POST without _csrf with 403 and change nothing', async () => {
      const { agent } = await signIn(ctx.app, 'owner@example.com');
      const res = await agent.post('/settings/business').type('form').send({ business_name: 'Forged' });
      assert.equal(res.status, 403);
      assert.match(res.text, /expired/);
      assert.equal(await ctx.deps.db.get("SELECT value FROM settings WHERE key = 'business.name'"), undefined);
    });

    it('should refuse a wrong token', async () => {
      const { agent } = await signIn(ctx.app, 'owner@example.com');
      const res = await agent
        .post('/logout')
        .type('form')
        .send({ _csrf: 'x'.repeat(32) });
      assert.equal(res.status, 403);
      assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM sessions'))?.n, 1);
    });

    it('should accept the token in X-CSRF-Token, as htmx sends it', async () => {
      const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
      const res = await agent
        .post('/settings/business')
        .set('X-CSRF-Token', csrf)
        .set('HX-Request', 'true')
        .type('form')
        .send({ business_name: 'Bakery' });
      assert.equal(res.status, 303);
    });

    it('should refuse a sign-in POST without the pre-session token', async () => {
      const res = await request(ctx.app)
        .post('/login')
        .type('form')
        .send({ email: 'owner@example.com', password: 'whatever password' });
      assert.equal(res.status, 403);
    });

    it('should not accept the pre-session token of one browser in another', async () => {
      const a = request.agent(ctx.app);
      const tokenA = await csrfOf(a, '/login');
      const b = request.agent(ctx.app);
      await b.get('/login');
      const res = await b
        .post('/login')
        .type('form')
        .send({ _csrf: tokenA, email: 'owner@example.com', password: 'whatever password' });
      assert.equal(res.status, 403);
    });

    it('should answer JSON clients with a csrf-failed code', async () => {
      const { agent } = await signIn(ctx.app, 'owner@example.com');
      const res = await agent.post('/settings/business').set('Accept', 'application/json').send({ business_name: 'x' });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'csrf-failed');
    });
  });
});
