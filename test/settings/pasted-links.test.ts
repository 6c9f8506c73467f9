// Links meant to be pasted elsewhere (invitations, reset links, the Meta callback URLs) start with
// PUBLIC_URL when it is set, else with the address of the request that rendered them.
import assert from 'node:assert/strict';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { publicUrlMismatch } from '../../src/core/public-url';
import { start, type RunningServer } from '../../src/server';
import { addUser, csrfFrom, PASSWORD } from '../support/browser-session';
import { makeContext, testConfig, type TestContext } from '../support/context';
import fs from 'node:fs';

type Agent = ReturnType<typeof request.agent>;

/** Signs in through the form, sending `host` as the Host header on every request. */
async function signInWithHost(agent: Agent, host: string, email: string) {
  const login = await agent.get('/login').set('host', host);
  const res = await agent
    .post('/login')
    .set('host', host)
    .type('form')
    .send({ _csrf: csrfFrom(login.text), email, password: PASSWORD });
  assert.equal(res.status, 303);
  return csrfFrom((await agent.get('/account').set('host', host)).text);
}

describe('links meant to be pasted elsewhere', () => {
  describe('without PUBLIC_URL', () => {
    let server: RunningServer;
    let dataDir: string;
    let agent: Agent;
    let csrf: string;
    let host: string;

    before(async () => {
      // A server on a port other than 3000, as an owner would run a second install.
      const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
      dataDir = config.dataDir;
      server = await start(config);
      await addUser(server.services.db, 'owner@example.com', 'owner');
      host = new URL(server.url).host;
      agent = request.agent(server.url);
      csrf = await signInWithHost(agent, host, 'owner@example.com');
    });
    after(async () => {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('should build the invitation link from the address of the request', async () => {
      const res = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'new@example.com', role: 'staff' });
      assert.equal(res.status, 200);
      const link = /id="invite-link" readonly value="([^"]+)"/.exec(res.text)?.[1];
      assert.ok(link?.startsWith(`${server.url}/invite/`), `the link ${link} starts with ${server.url}`);
      assert.doesNotMatch(res.text, /localhost:3000/);
      assert.match(res.text, /class="button small copy-button" data-copy-target="invite-link"/, 'a copy button beside it');
      assert.equal((await request(server.url).get(new URL(link!).pathname)).status, 200, 'the link opens');
    });

    it('should show the Meta callback URLs with the host the owner used, and no banner', async () => {
      const res = await agent.get('/settings/messenger').set('host', 'chatx.lan:8443');
      assert.equal(res.status, 200);
      assert.match(res.text, /id="webhook-url" readonly value="http:\/\/chatx\.lan:8443\/webhooks\/messenger"/);
      assert.match(
        res.text,
        /id="data-deletion-url" readonly value="http:\/\/chatx\.lan:8443\/webhooks\/messenger\/data-deletion"/,
      );
      assert.match(res.text, /id="privacy-policy-url" readonly value="http:\/\/chatx\.lan:8443\/privacy"/);
      const copyButtons = res.text.match(/class="button small copy-button"/g) ?? [];
      assert.equal(copyButtons.length, 4, 'callback URL, verify token, deletion URL and privacy policy URL');
      assert.doesNotMatch(res.text, /Links use another address/);
    });

    it('should keep the data-deletion callback JSON on PUBLIC_URL (its default)', () => {
      assert.equal(server.services.config.publicUrl, 'http://localhost:3000');
      assert.equal(server.services.config.publicUrlSet, false);
    });
  });

  describe('with PUBLIC_URL', () => {
    let ctx: TestContext;
    let agent: Agent;
    let csrf: string;
    const PUBLIC = 'http://chat.example.com:8080';

    beforeEach(async () => {
      ctx = await makeContext({ PUBLIC_URL: PUBLIC });
      await addUser(ctx.deps.db, 'owner@example.com', 'owner');
      await addUser(ctx.deps.db, 'staff@example.com', 'staff');
      agent = request.agent(ctx.app);
      csrf = await signInWithHost(agent, 'chat.example.com:8080', 'owner@example.com');
    });
    afterEach(() => ctx.close());

    it('should start invitation and callback links with PUBLIC_URL, whatever the host', async () => {
      const res = await agent
        .post('/users')
        .set('host', '10.0.0.5:3000')
        .type('form')
        .send({ _csrf: csrf, email: 'new@example.com', role: 'staff' });
      assert.match(res.text, new RegExp(`value="${PUBLIC}/invite/[\\w-]+"`));
      const settings = await agent.get('/settings/messenger').set('host', '10.0.0.5:3000');
      assert.match(settings.text, new RegExp(`value="${PUBLIC}/webhooks/messenger"`));
      assert.match(settings.text, new RegExp(`value="${PUBLIC}/webhooks/messenger/data-deletion"`));
    });

    it('should tell the owner, calmly, when the page was opened at another address', async () => {
      const same = await agent.get('/').set('host', 'chat.example.com:8080');
      assert.doesNotMatch(same.text, /Links use another address/);
      const other = await agent.get('/').set('host', '10.0.0.5:3000');
      assert.match(other.text, /class="banner banner-info banner-public-url" role="status"/);
      assert.match(other.text, /You opened ChatX at <code>http:\/\/10\.0\.0\.5:3000<\/code>, but <code>PUBLIC_URL<\/code> is/);
      assert.match(other.text, /set <code>PUBLIC_URL<\/code> to it \(or remove it\)/);
    });

    it('should not show that banner to staff', async () => {
      const staff = request.agent(ctx.app);
      await signInWithHost(staff, '10.0.0.5:3000', 'staff@example.com');
      const page = await staff.get('/').set('host', '10.0.0.5:3000');
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.text, /Links use another address/);
    });
  });

  describe('the warning at start', () => {
    const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/x', DATABASE_KEY: 'k', ...env });

    it('should name PUBLIC_URL when it points at this machine on another port', () => {
      const warning = publicUrlMismatch(config({ PUBLIC_URL: 'http://localhost:3000', PORT: '4000' }), 4000);
      assert.match(warning ?? '', /PUBLIC_URL is http:\/\/localhost:3000 but ChatX listens on port 4000/);
      assert.ok(publicUrlMismatch(config({ PUBLIC_URL: 'http://127.0.0.1', PORT: '3000' }), 3000), 'port 80 is not 3000');
    });

    it('should stay quiet when the ports agree, PUBLIC_URL is a public name, or it is not set', () => {
      assert.equal(publicUrlMismatch(config({ PUBLIC_URL: 'http://localhost:4000', PORT: '4000' }), 4000), undefined);
      assert.equal(publicUrlMismatch(config({ PUBLIC_URL: 'https://chat.example.com', PORT: '3000' }), 3000), undefined);
      assert.equal(publicUrlMismatch(config({ PORT: '4000' }), 4000), undefined);
    });
  });
});
