// API tokens the owner manages: created in Settings (shown once), listed, revoked, expiring; a
// staff token opens what staff may, an owner token also the owner's API.
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { addUser, signIn } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

describe('API tokens', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
    await addUser(ctx.deps.db, 'staff@example.com', 'staff');
  });
  afterEach(() => ctx.close());

  const api = (token: string, path = '/api/v1/conversations') =>
    request(ctx.app).get(path).set('authorization', `Bearer ${token}`);

  it('should let the owner create a token in Settings, show it once, and list it without its secret', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const created = await agent
      .post('/settings/tokens')
      .type('form')
      .send({ _csrf: csrf, name: 'zapier', role: 'staff', expires: '90d' });
    assert.equal(created.status, 200);
    assert.equal(created.headers['cache-control'], 'no-store');
    const token = /aria-label="The new API token" value="(chx_[\w-]+)"|value="(chx_[\w-]+)"/.exec(created.text);
    const value = token![1] ?? token![2];
    assert.ok(value);
    assert.equal((await api(value)).status, 200);
    const later = await agent.get('/settings/tokens');
    assert.doesNotMatch(later.text, new RegExp(value), 'never shown again');
    assert.match(later.text, /<td>zapier <span class="muted small">by owner@example.com<\/span><\/td>/);
    const row = await ctx.deps.db.get<{ expires_at: number; token_hash: string }>(
      'SELECT expires_at, token_hash FROM api_tokens',
    );
    assert.ok(row!.expires_at > Date.now() + 89 * 24 * 3600 * 1000);
    assert.notEqual(row!.token_hash, value);
    const audit = await ctx.deps.db.get<{ target: string }>("SELECT target FROM audit_log WHERE action = 'api-token.created'");
    assert.equal(audit!.target, 'zapier');
  });

  it('should refuse a second active token of the same name, and bad roles and expiries, keeping the form', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    await agent.post('/settings/tokens').type('form').send({ _csrf: csrf, name: 'crm', role: 'staff', expires: 'never' });
    const again = await agent
      .post('/settings/tokens')
      .type('form')
      .send({ _csrf: csrf, name: 'crm', role: 'staff', expires: 'never' });
    assert.equal(again.status, 409);
    assert.match(again.text, /A token named &#34;crm&#34; exists already|A token named "crm" exists already/);
    const badRole = await agent
      .post('/settings/tokens')
      .type('form')
      .send({ _csrf: csrf, name: 'x', role: 'admin', expires: 'never' });
    assert.equal(badRole.status, 400);
    const badExpiry = await agent
      .post('/settings/tokens')
      .type('form')
      .send({ _csrf: csrf, name: 'y', role: 'staff', expires: 'forever' });
    assert.equal(badExpiry.status, 400);
    assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM api_tokens'))!.n, 1);
  });

  it('should stop a revoked token at once, and an expired one', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const { id, token } = await createApiToken(ctx.deps.db, { name: 'old', role: 'staff' });
    assert.equal((await api(token)).status, 200);
    const revoked = await agent.post(`/settings/tokens/${id}/revoke`).type('form').send({ _csrf: csrf });
    assert.equal(revoked.status, 200);
    assert.match(revoked.text, /revoked; it no longer opens the API/);
    const refused = await api(token);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'invalid-token');
    const expiring = await createApiToken(ctx.deps.db, { name: 'short', role: 'staff', expiresAt: Date.now() + 60_000 });
    assert.equal((await api(expiring.token)).status, 200);
    await ctx.deps.db.run('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [Date.now() - 1, expiring.id]);
    assert.equal((await api(expiring.token)).status, 401);
  });

  it('should give an owner token the owner’s API and a staff token only staff’s', async () => {
    const staff = await createApiToken(ctx.deps.db, { name: 'staff-app', role: 'staff' });
    const owner = await createApiToken(ctx.deps.db, { name: 'owner-app', role: 'owner' });
    const forbidden = await api(staff.token, '/api/v1/tokens');
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'forbidden');
    const listed = await api(owner.token, '/api/v1/tokens');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.data.map((t: { name: string; role: string; status: string }) => [t.name, t.role, t.status]),
      [
        ['owner-app', 'owner', 'active'],
        ['staff-app', 'staff', 'active'],
      ],
    );
    assert.doesNotMatch(JSON.stringify(listed.body), /chx_|token_hash/);
    // A token is for the API only: it opens no page.
    assert.equal((await request(ctx.app).get('/settings').set('authorization', `Bearer ${owner.token}`)).status, 303);
  });

  it('should keep staff out of token management', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'staff@example.com');
    assert.equal(
      (await agent.post('/settings/tokens').type('form').send({ _csrf: csrf, name: 'mine', role: 'owner' })).status,
      403,
    );
    const { id } = await createApiToken(ctx.deps.db, { name: 'theirs', role: 'staff' });
    assert.equal((await agent.post(`/settings/tokens/${id}/revoke`).type('form').send({ _csrf: csrf })).status, 403);
    assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL'))!.n, 1);
  });
});
