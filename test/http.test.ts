import assert from 'node:assert/strict';
import request from 'supertest';
import { makeContext, type TestContext } from './support/context';

describe('HTTP basics', () => {
  let ctx: TestContext;
  beforeEach(async () => (ctx = await makeContext()));
  afterEach(() => ctx.close());

  describe('GET /healthz', () => {
    it('should answer 200 {"status":"ok"} while the database answers', async () => {
      const res = await request(ctx.app).get('/healthz');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok' });
    });

    it('should answer 503 while the database takes no writes (a full disk, a read-only volume), and 200 once it does', async () => {
      await ctx.deps.db.exec('PRAGMA query_only = ON');
      let res = await request(ctx.app).get('/healthz');
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { status: 'unavailable', reason: 'the database takes no writes' });
      await ctx.deps.db.exec('PRAGMA query_only = OFF');
      res = await request(ctx.app).get('/healthz');
      assert.equal(res.status, 200);
    });

    it('should answer 503 when the database does not', async () => {
      await ctx.deps.db.close();
      const res = await request(ctx.app).get('/healthz');
      assert.equal(res.status, 503);
      assert.notEqual(res.body.status, 'ok');
    });
  });

  describe('security headers', () => {
    it('should send a CSP without unsafe-inline or unsafe-eval, and the usual hardening headers', async () => {
      const res = await request(ctx.app).get('/login');
      const csp = res.headers['content-security-policy'];
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'not on a plain-http install');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(res.headers['referrer-policy']);
      assert.equal(res.headers['x-powered-by'], undefined);
      assert.equal(res.headers['strict-transport-security'], undefined);
    });

    it('should add HSTS, upgrade-insecure-requests and Secure cookies when PUBLIC_URL is https', async () => {
      const https = await makeContext({ PUBLIC_URL: 'https://chatx.example.com' });
      try {
        const res = await request(https.app).get('/login');
        assert.ok(res.headers['strict-transport-security']);
        assert.match(res.headers['content-security-policy'], /upgrade-insecure-requests/);
        assert.match(([] as string[]).concat(res.headers['set-cookie']).join(';'), /Secure/);
      } finally {
        await https.close();
      }
    });
  });

  describe('errors', () => {
    it('should show a readable 404 page', async () => {
      const res = await request(ctx.app).get('/no/such/page');
      assert.equal(res.status, 404);
      assert.match(res.headers['content-type'], /html/);
      assert.match(res.text, /Not found/);
      assert.doesNotMatch(res.text, /at .*\.ts:\d+|Error:/);
    });

    it('should answer JSON errors with a kebab-case code', async () => {
      const res = await request(ctx.app).get('/nothing').set('Accept', 'application/json');
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { error: { code: 'not-found', message: 'There is nothing at this address.' } });
    });

    it('should answer malformed JSON with 400 malformed-json and no stack trace', async () => {
      const res = await request(ctx.app).post('/login').set('Content-Type', 'application/json').send('{"email": ');
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.text, /SyntaxError|at JSON\.parse|node_modules/);
    });

    it('should answer an oversized form with 413', async () => {
      const res = await request(ctx.app)
        .post('/login')
        .type('form')
        .send(`email=${'a'.repeat(200_000)}`);
      assert.equal(res.status, 413);
    });

    it('should turn an unexpected failure into a plain 500 page without details', async () => {
      await ctx.deps.db.exec('DROP TABLE users');
      const res = await request(ctx.app).get('/login');
      assert.equal(res.status, 500);
      assert.match(res.text, /Something went wrong/);
      assert.doesNotMatch(res.text, /no such table|SQLITE|at .*\.ts/);
    });
  });

  describe('static assets', () => {
    it('should serve vendored htmx and our own stylesheet locally', async () => {
      const htmx = await request(ctx.app).get('/static/vendor/htmx.min.js');
      assert.equal(htmx.status, 200);
      assert.match(htmx.text, /htmx/);
      assert.equal((await request(ctx.app).get('/static/css/app.css')).status, 200);
    });
  });
});
