import assert from 'node:assert/strict';
import request from 'supertest';
import { csrfFrom, csrfOf, PASSWORD } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

describe('first start: /setup', () => {
  let ctx: TestContext;
  beforeEach(async () => (ctx = await makeContext()));
  afterEach(() => ctx.close());

  it('should send the first visitor of an empty install from / to /setup', async () => {
    const res = await request(ctx.app).get('/');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/setup');
  });

  it('should show the owner form with email, password and a CSRF field', async () => {
    const res = await request(ctx.app).get('/setup');
    assert.equal(res.status, 200);
    assert.match(res.text, /name="email"/);
    assert.match(res.text, /name="password"/);
    assert.ok(csrfFrom(res.text));
  });

  it('should create the owner, sign them in, and land on the inbox', async () => {
    const agent = request.agent(ctx.app);
    const csrf = await csrfOf(agent, '/setup');
    const res = await agent.post('/setup').type('form').send({ _csrf: csrf, email: 'Owner@Example.com', password: PASSWORD });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/');
    const inbox = await agent.get('/');
    assert.equal(inbox.status, 200);
    assert.match(inbox.text, /Your inbox is ready/);
    const owner = await ctx.deps.db.get<{ email: string; role: string }>('SELECT email, role FROM users');
    assert.deepEqual(owner, { email: 'owner@example.com', role: 'owner' });
    const audit = await ctx.deps.db.get<{ action: string }>("SELECT action FROM audit_log WHERE action = 'setup.owner-created'");
    assert.ok(audit);
  });

  it('should answer 404 for good once an owner exists', async () => {
    const agent = request.agent(ctx.app);
    const csrf = await csrfOf(agent, '/setup');
    await agent.post('/setup').type('form').send({ _csrf: csrf, email: 'owner@example.com', password: PASSWORD }).expect(303);
    const stranger = request.agent(ctx.app);
    assert.equal((await stranger.get('/setup')).status, 404);
    const csrf2 = await csrfOf(stranger, '/login');
    const again = await stranger
      .post('/setup')
      .type('form')
      .send({ _csrf: csrf2, email: 'evil@example.com', password: PASSWORD });
    assert.equal(again.status, 404);
    assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n, 1);
  });

  it('should let only one of two racing first visitors become owner', async () => {
    const a = request.agent(ctx.app);
    const b = request.agent(ctx.app);
    const [ca, cb] = [await csrfOf(a, '/setup'), await csrfOf(b, '/setup')];
    const results = await Promise.all([
      a.post('/setup').type('form').send({ _csrf: ca, email: 'a@example.com', password: PASSWORD }),
      b.post('/setup').type('form').send({ _csrf: cb, email: 'b@example.com', password: PASSWORD }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [303, 404]);
    assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n, 1);
  });

  it('should re-render the form with the reason when the password is too short', async () => {
    const agent = request.agent(ctx.app);
    const csrf = await csrfOf(agent, '/setup');
    const res = await agent.post('/setup').type('form').send({ _csrf: csrf, email: 'owner@example.com', password: 'short' });
    assert.equal(res.status, 400);
    assert.match(res.text, /at least 10 characters/);
    assert.match(res.text, /value="owner@example.com"/, 'keeps what was typed');
    assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n, 0);
  });

  it('should refuse an invalid email with a readable message', async () => {
    const agent = request.agent(ctx.app);
    const csrf = await csrfOf(agent, '/setup');
    const res = await agent.post('/setup').type('form').send({ _csrf: csrf, email: 'not-an-email', password: PASSWORD });
    assert.equal(res.status, 400);
    assert.match(res.text, /valid email/);
  });
});
