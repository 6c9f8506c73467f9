// Settings in sections, each its own page with the section menu; a save comes back to its section
// with its message; the key banner can be dismissed per owner except on the Privacy pages.
import assert from 'node:assert/strict';
import request from 'supertest';
import { addUser, signIn, type Agent } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

/** The section menu's link marked as the current page. */
function currentSection(html: string): string | undefined {
  const nav = /<nav class="settings-sections"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return /<a href="([^"]+)" class="active" aria-current="page">/.exec(nav)?.[1];
}

describe('Settings sections', () => {
  let ctx: TestContext;
  let owner: { agent: Agent; csrf: string };

  beforeEach(async () => {
    ctx = await makeContext();
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
    await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    owner = await signIn(ctx.app, 'owner@example.com');
  });
  afterEach(() => ctx.close());

  it('should give every section its own page with the section menu', async () => {
    const pages: [string, string, RegExp][] = [
      ['/settings', '/settings/business', /<h2>Business<\/h2>/],
      ['/settings/business', '/settings/business', /<h2>Business<\/h2>/],
      ['/settings/messenger', '/settings/messenger', /<h2>Messenger<\/h2>/],
      ['/settings/canned', '/settings/canned', /<h2>Canned responses<\/h2>/],
      ['/settings/tokens', '/settings/tokens', /<h2>API tokens<\/h2>/],
      ['/settings/contact-fields', '/settings/contact-fields', /<h1>Contact fields<\/h1>/],
      ['/settings/ai', '/settings/ai', /<h1>AI replies<\/h1>/],
      ['/users', '/users', /<h1>Users<\/h1>/],
    ];
    for (const [url, current, heading] of pages) {
      const res = await owner.agent.get(url);
      assert.equal(res.status, 200, url);
      assert.match(res.text, heading, url);
      assert.equal(currentSection(res.text), current, `${url} marks its section`);
      for (const link of [
        '/settings/business',
        '/settings/messenger',
        '/settings/canned',
        '/settings/labels',
        '/users',
        '/settings/ai',
      ])
        assert.ok(res.text.includes(`href="${link}"`), `${url} links ${link}`);
    }
    const business = await owner.agent.get('/settings/business');
    assert.doesNotMatch(business.text, /<h2>Messenger<\/h2>|<h2>Canned responses<\/h2>/, 'one section per page');
  });

  it('should keep staff out of every section', async () => {
    const staff = await signIn(ctx.app, 'staff@example.com');
    for (const url of ['/settings', '/settings/business', '/settings/messenger', '/settings/canned', '/settings/tokens'])
      assert.equal((await staff.agent.get(url)).status, 403, url);
  });

  it('should bring each save back to its own section with its message', async () => {
    const post = (url: string, body: Record<string, string>) =>
      owner.agent
        .post(url)
        .type('form')
        .send({ _csrf: owner.csrf, ...body });
    const cases: [string, Record<string, string>, string, RegExp][] = [
      [
        '/settings/business',
        { business_name: 'Rosa', contact_email: 'a@rosa.example', website: '' },
        '/settings/business?saved=1',
        /Saved\./,
      ],
      ['/settings/messenger', { page_id: '123' }, '/settings/messenger?saved=1', /Messenger settings saved\./],
      ['/settings/canned', { shortcut: 'hours', text: 'Open 9–17' }, '/settings/canned?canned=saved', /Canned response saved\./],
    ];
    for (const [url, body, location, message] of cases) {
      const res = await post(url, body);
      assert.equal(res.status, 303, url);
      assert.equal(res.headers.location, location);
      const page = await owner.agent.get(location);
      assert.match(page.text, message);
      assert.equal(currentSection(page.text), location.split('?')[0]);
    }
    // A refused save re-renders its own section with the error.
    const bad = await post('/settings/messenger', { page_id: 'abc' });
    assert.equal(bad.status, 400);
    assert.equal(currentSection(bad.text), '/settings/messenger');
    assert.match(bad.text, /The Page id is a number/);
    const badCanned = await post('/settings/canned', { shortcut: 'no spaces', text: 'x' });
    assert.equal(currentSection(badCanned.text), '/settings/canned');
    const token = await post('/settings/tokens', { name: 'zapier', role: 'staff', expires: 'never' });
    assert.equal(currentSection(token.text), '/settings/tokens');
  });
});

describe('the key banner', () => {
  let ctx: TestContext;

  beforeEach(async () => {
    // No key given: it is generated beside the data, and the owner is warned.
    ctx = await makeContext({ DATABASE_KEY: '' });
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
    await addUser(ctx.deps.db, 'second@example.com', 'owner');
  });
  afterEach(() => ctx.close());

  const BANNER = /Your database key is stored next to the data/;

  it('should be dismissed by one owner on the other pages, and stay on Privacy', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const inbox = await agent.get('/');
    assert.match(inbox.text, BANNER);
    assert.match(inbox.text, /action="\/privacy\/key-banner\/dismiss"/);
    const privacyBefore = await agent.get('/privacy/manage');
    assert.doesNotMatch(privacyBefore.text, /key-banner\/dismiss/, 'no dismiss on the Privacy page');

    const res = await agent.post('/privacy/key-banner/dismiss').type('form').send({ _csrf: csrf, next: '/contacts' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/contacts');
    assert.doesNotMatch((await agent.get('/')).text, BANNER);
    assert.doesNotMatch((await agent.get('/settings/business')).text, BANNER);
    assert.match((await agent.get('/privacy/manage')).text, BANNER, 'still on Privacy');

    const other = await signIn(ctx.app, 'second@example.com');
    assert.match((await other.agent.get('/')).text, BANNER, 'per owner');
  });

  it('should go back only to a local page, and refuse staff and a missing CSRF token', async () => {
    const { agent, csrf } = await signIn(ctx.app, 'owner@example.com');
    const away = await agent.post('/privacy/key-banner/dismiss').type('form').send({ _csrf: csrf, next: '//evil.example/' });
    assert.equal(away.headers.location, '/');
    assert.equal((await agent.post('/privacy/key-banner/dismiss').type('form').send({})).status, 403);
    await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    const staff = await signIn(ctx.app, 'staff@example.com');
    assert.equal((await staff.agent.post('/privacy/key-banner/dismiss').type('form').send({ _csrf: staff.csrf })).status, 403);
    assert.equal((await request(ctx.app).post('/privacy/key-banner/dismiss')).status, 403);
  });

  it('should explain on the Privacy page, step by step, how to move the key', async () => {
    const { agent } = await signIn(ctx.app, 'owner@example.com');
    const page = await agent.get('/privacy/manage');
    assert.match(page.text, /id="key"/);
    for (const step of [
      /Docker secret/,
      /docker-compose\.secret\.yml/,
      /DATABASE_KEY_FILE=\/run\/secrets\/db_key/,
      /A file outside the data folder/,
      /DATABASE_KEY_FILE=\/etc\/chatx\/db\.key/,
      /<code>DATABASE_KEY<\/code> to the key/,
      /Then restart ChatX/,
      /Only then delete the old <code>db\.key<\/code>/,
    ])
      assert.match(page.text, step);
    assert.ok(page.text.includes(ctx.deps.databaseKey.file!), 'names this install’s db.key');
  });
});
