import assert from 'node:assert/strict';
import request from 'supertest';
import { addUser, signIn } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

describe('Settings: business profile and the public privacy page', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
  });
  afterEach(() => ctx.close());

  it('should save the business profile and fill /privacy from it', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const res = await agent
      .post('/settings/business')
      .type('form')
      .send({ _csrf: csrf, business_name: 'Rosa’s Bakery', contact_email: 'privacy@rosa.example', website: 'rosa.example' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/settings/business?saved=1');
    const settings = await agent.get('/settings/business?saved=1');
    assert.match(settings.text, /Saved\./);
    assert.match(settings.text, /value="https:\/\/rosa.example"/);
    const policy = await request(ctx.app).get('/privacy');
    assert.equal(policy.status, 200);
    assert.match(policy.text, /Rosa’s Bakery/);
    assert.match(policy.text, /mailto:privacy@rosa.example/);
    assert.match(policy.text, /within 30 days/);
  });

  it('should show field errors and keep the input when the email is invalid', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const res = await agent
      .post('/settings/business')
      .type('form')
      .send({ _csrf: csrf, business_name: 'Rosa', contact_email: 'nope' });
    assert.equal(res.status, 400);
    assert.match(res.text, /Enter an email address like/);
    assert.match(res.text, /value="Rosa"/);
    assert.equal(await ctx.deps.db.get("SELECT value FROM settings WHERE key = 'business.name'"), undefined);
  });

  it('should name the AI provider on /privacy only when AI is on', async () => {
    assert.doesNotMatch((await request(ctx.app).get('/privacy')).text, /OpenAI|Anthropic/);
    const withAi = await makeContext({ AI_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'k' });
    try {
      assert.match((await request(withAi.app).get('/privacy')).text, /Anthropic/);
    } finally {
      await withAi.close();
    }
  });

  it('should show the webhook URL and a verify token that stays the same', async () => {
    const { agent } = await signIn(ctx.app, 'owner@example.com');
    const first = await agent.get('/settings/messenger');
    // No PUBLIC_URL in the test context: the address of the request (supertest's) is used.
    assert.match(first.text, /value="http:\/\/127\.0\.0\.1:\d+\/webhooks\/messenger"/);
    const token =
      /aria-label="Verify token"/.test(first.text) && /value="([^"]+)" aria-label="Verify token"/.exec(first.text)?.[1];
    assert.ok(token);
    const second = await agent.get('/settings/messenger');
    assert.ok(second.text.includes(`value="${token}" aria-label="Verify token"`));
  });

  it('should warn the owner on every page while the key lies beside the data', async () => {
    const { agent } = await signIn(ctx.app, 'owner@example.com');
    // The test context passes DATABASE_KEY, so no warning here…
    assert.doesNotMatch((await agent.get('/')).text, /key is stored next to the data/);
    // …but a generated key is announced.
    const generated = await makeContext({ DATABASE_KEY: '' });
    try {
      await addUser(generated.deps.db, 'owner@example.com', 'owner');
      const owner = await signIn(generated.app, 'owner@example.com');
      assert.match((await owner.agent.get('/')).text, /key is stored next to the data/);
    } finally {
      await generated.close();
    }
  });
});
