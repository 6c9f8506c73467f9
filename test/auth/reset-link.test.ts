// The owner's password-reset link: made on the Users page (owner only), shown once, works once and
// for a day; using it sets the password and signs the person out of every other session.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { setPassword } from '../../src/auth/users';
import { addUser, csrfFrom, PASSWORD, signIn, type Agent } from '../support/browser-session';
import { makeContext, TEST_KEY, tempDir, type TestContext } from '../support/context';

const NEW_PASSWORD = 'a brand new long password';

describe('password reset links', () => {
  let ctx: TestContext;
  let owner: { agent: Agent; csrf: string };
  let staffId: number;

  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
    staffId = (await addUser(ctx.deps.db, 'sam@example.com', 'staff')).id;
    owner = await signIn(ctx.app, 'owner@example.com');
  });
  afterEach(() => ctx.close());

  async function makeLink(): Promise<string> {
    const res = await owner.agent.post(`/users/${staffId}/reset-link`).type('form').send({ _csrf: owner.csrf });
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.text, /Password reset link for sam@example.com/);
    const link = /id="reset-link" readonly value="([^"]+)"/.exec(res.text)?.[1];
    assert.ok(link, 'the page shows the link');
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/reset\/[\w-]{32}$/, 'built from the request address (no PUBLIC_URL)');
    return new URL(link).pathname;
  }

  async function useLink(agent: Agent, link: string, password = NEW_PASSWORD) {
    const form = await agent.get(link);
    return agent
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password });
  }

  it('should offer Reset password beside active people other than the owner', async () => {
    const page = await owner.agent.get('/users');
    assert.match(page.text, new RegExp(`action="/users/${staffId}/reset-link"`));
    assert.doesNotMatch(page.text, /action="\/users\/1\/reset-link"/, 'not for yourself');
  });

  it('should let the person set a new password once, signing out their other sessions', async () => {
    const staff = await signIn(ctx.app, 'sam@example.com');
    assert.equal((await staff.agent.get('/')).status, 200);
    const link = await makeLink();
    assert.match((await owner.agent.get('/users')).text, /reset link open/);
    const row = await ctx.deps.db.get<{ invite_token_hash: string }>('SELECT invite_token_hash FROM users WHERE id = ?', [
      staffId,
    ]);
    assert.ok(row!.invite_token_hash && !link.includes(row!.invite_token_hash), 'only the hash is stored');

    const guest = request.agent(ctx.app);
    const form = await guest.get(link);
    assert.equal(form.status, 200);
    assert.match(form.text, /Choose a new password/);
    assert.match(form.text, /sam@example.com/);
    const used = await useLink(guest, link);
    assert.equal(used.status, 303);
    assert.equal(used.headers.location, '/');
    assert.equal((await guest.get('/')).status, 200, 'signed in with the new password');

    const old = await staff.agent.get('/');
    assert.equal(old.status, 303, 'the old session is gone');
    assert.match(old.headers.location, /^\/login/);
    await signIn(ctx.app, 'sam@example.com', NEW_PASSWORD);
    await assert.rejects(signIn(ctx.app, 'sam@example.com', PASSWORD), /sign-in failed/);

    const again = await request(ctx.app).get(link);
    assert.equal(again.status, 404, 'used once');
    assert.match(again.text, /unknown, used or expired/);
    const audit = await ctx.deps.db.all<{ action: string }>(
      "SELECT action FROM audit_log WHERE action LIKE 'user.%reset%' ORDER BY id",
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ['user.reset-link-created', 'user.password-reset-by-link'],
    );
  });

  it('should refuse a weak password and keep the link usable', async () => {
    const link = await makeLink();
    const guest = request.agent(ctx.app);
    const weak = await useLink(guest, link, 'short');
    assert.equal(weak.status, 400);
    assert.match(weak.text, /role="alert"/);
    assert.equal((await useLink(guest, link)).status, 303);
  });

  it('should stop working after a day, or when a newer link is made', async () => {
    const first = await makeLink();
    const second = await makeLink();
    assert.equal((await request(ctx.app).get(first)).status, 404, 'a newer link replaces the older');
    await ctx.deps.db.run('UPDATE users SET invite_expires_at = ? WHERE id = ?', [Date.now() - 1, staffId]);
    assert.equal((await request(ctx.app).get(second)).status, 404, 'expired');
    const guest = request.agent(ctx.app);
    const csrf = csrfFrom((await guest.get('/login')).text);
    assert.equal((await guest.post(second).type('form').send({ _csrf: csrf, password: NEW_PASSWORD })).status, 404);
  });

  it('should not be open to staff, nor to anyone for an invited account or the owner themself', async () => {
    const staff = await signIn(ctx.app, 'sam@example.com');
    const refused = await staff.agent.post('/users/1/reset-link').type('form').send({ _csrf: staff.csrf });
    assert.equal(refused.status, 403);
    const invited = await owner.agent
      .post('/users')
      .type('form')
      .send({ _csrf: owner.csrf, email: 'new@example.com', role: 'staff' });
    assert.equal(invited.status, 200);
    const invitedId = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM users WHERE email = 'new@example.com'"))!.id;
    const notActive = await owner.agent.post(`/users/${invitedId}/reset-link`).type('form').send({ _csrf: owner.csrf });
    assert.equal(notActive.status, 409);
    const self = await owner.agent.post('/users/1/reset-link').type('form').send({ _csrf: owner.csrf });
    assert.equal(self.status, 400);
    // An invitation token is no reset link, and the other way round.
    const inviteLink = /value="[^"]+(\/invite\/[\w-]+)"/.exec(invited.text)![1];
    assert.equal((await request(ctx.app).get(inviteLink.replace('/invite/', '/reset/'))).status, 404);
  });

  it('should end a reset link when the password is changed another way', async () => {
    const link = await makeLink();
    await setPassword(ctx.deps.db, staffId, NEW_PASSWORD);
    assert.equal((await request(ctx.app).get(link)).status, 404);
  });
});

describe('the login page hint', () => {
  it('should name npm outside Docker and docker compose inside, and the reset link', async () => {
    for (const [env, command] of [
      [{}, 'npm run chatx -- user:reset-password --email you@example.com'],
      [{ CHATX_IN_DOCKER: '1' }, 'docker compose exec chatx chatx user:reset-password --email you@example.com'],
    ] as const) {
      const ctx = await makeContext(env);
      try {
        await addUser(ctx.deps.db, 'owner@example.com', 'owner');
        const page = await request(ctx.app).get('/login');
        assert.ok(page.text.includes(`<code>${command}</code>`), command);
        assert.match(page.text, /Ask the owner to send you a reset link/);
      } finally {
        await ctx.close();
      }
    }
  });
});

describe('npm run chatx', () => {
  it('should run the admin CLI: user:reset-password through the npm script', async function () {
    this.timeout(120_000);
    const dataDir = tempDir();
    const root = path.resolve(__dirname, '..', '..');
    const run = (args: string[]) =>
      spawnSync('npm', ['run', '--silent', 'chatx', '--', ...args], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY },
        encoding: 'utf8',
        timeout: 110_000,
      });
    try {
      const added = run(['user:add', '--email', 'a@b.cd', '--role', 'staff', '--password', PASSWORD]);
      assert.equal(added.status, 0, added.stderr);
      const reset = run(['user:reset-password', '--email', 'a@b.cd']);
      assert.equal(reset.status, 0, reset.stderr);
      assert.match(reset.stdout, /Reset the password of a@b\.cd/);
      assert.match(reset.stdout, /New password \(shown once\): \S+/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
