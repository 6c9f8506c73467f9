// Bad uploads, repeated query keys and what a file comes back as: every mistake is a clear 4xx that
// stores nothing, the CSRF token is checked before any file is read, and nothing uploaded can run as
// a page of ChatX's origin.
import assert from 'node:assert/strict';
import request from 'supertest';
import { csrfOf, signIn, type Agent } from '../support/browser-session';
import { count, customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from './support';

describe('Uploads and what comes back', () => {
  let ctx: InboxContext;
  let conversationId: number;
  let agent: Agent;
  let csrf: string;
  beforeEach(async () => {
    ctx = await inboxContext();
    conversationId = await customerWrites(ctx, '5550001234', 'Can you send the menu?');
    ({ agent, csrf } = await signIn(ctx.app, STAFF));
  });
  afterEach(() => ctx.close());

  const reply = () => agent.post(`/conversations/${conversationId}/messages`).field('_csrf', csrf).field('text', 'here');
  const outgoing = () => count(ctx, "SELECT 1 FROM messages WHERE direction = 'out'");

  describe('POST /conversations/:id/messages with files', () => {
    it('should refuse a file over 25 MB with 413 and store nothing', async () => {
      const res = await reply().attach('files', Buffer.alloc(25 * 1024 * 1024 + 1), 'big.bin');
      assert.equal(res.status, 413);
      assert.match(res.text, /larger than Messenger(’|'|&#39;)s 25 MB limit/);
      assert.equal(await outgoing(), 0);
    });

    it('should refuse eleven files, a file in a field the form does not have, and a body cut off, each with 400', async () => {
      let many = reply();
      for (let i = 0; i < 11; i++) many = many.attach('files', Buffer.from(`file ${i}`), `f${i}.txt`);
      const tooMany = await many;
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.text, /at most 10 files/);
      const wrongField = await reply().attach('photo', Buffer.from('x'), 'x.txt');
      assert.equal(wrongField.status, 400);
      assert.match(wrongField.text, /does not have/);
      const boundary = 'chatxboundary';
      const cut = await agent
        .post(`/conversations/${conversationId}/messages`)
        .set('content-type', `multipart/form-data; boundary=${boundary}`)
        .set('x-csrf-token', csrf)
        .send(
          `--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\npartial`,
        );
      assert.equal(cut.status, 400);
      assert.match(cut.text, /cut off or could not be read/);
      assert.equal(await outgoing(), 0);
    });

    it('should answer a forged upload with 403, checked before its file is read', async () => {
      // A file over the limit: were it read before the token is checked, the answer would be 413.
      const forged = await agent
        .post(`/conversations/${conversationId}/messages`)
        .attach('files', Buffer.alloc(26 * 1024 * 1024), 'big.bin')
        .field('_csrf', csrf); // the token after the file is no token: the file part comes first
      assert.equal(forged.status, 403);
      assert.match(forged.text, /This form has expired/);
      const noToken = await agent.post(`/conversations/${conversationId}/messages`).attach('files', Buffer.from('x'), 'x.txt');
      assert.equal(noToken.status, 403);
      const fieldsOnly = await agent.post(`/conversations/${conversationId}/messages`).field('text', 'no token, no file');
      assert.equal(fieldsOnly.status, 403);
      assert.equal(await outgoing(), 0);
    });
  });

  it('should refuse a Simulator upload that is too large or cut off with a clear 4xx', async () => {
    const owner = await signIn(ctx.app, OWNER);
    const big = await owner.agent
      .post('/simulator')
      .field('_csrf', owner.csrf)
      .field('name', 'Alex Rivera')
      .attach('file', Buffer.alloc(25 * 1024 * 1024 + 1), 'big.jpg');
    assert.equal(big.status, 413);
    const two = await owner.agent
      .post('/simulator')
      .field('_csrf', owner.csrf)
      .field('name', 'Alex Rivera')
      .attach('file', Buffer.from('a'), 'a.txt')
      .attach('file', Buffer.from('b'), 'b.txt');
    assert.equal(two.status, 400);
  });

  it('should refuse a query parameter given twice with 400, on the API and on pages', async () => {
    const token = await csrfOf(agent, '/');
    assert.ok(token);
    const api = await agent.get('/api/v1/conversations?q=a&q=b');
    assert.equal(api.status, 400);
    assert.equal(api.body.error.code, 'repeated-query-parameter');
    assert.match(api.body.error.message, /"q" is given more than once/);
    assert.equal((await agent.get('/?status=open&status=resolved')).status, 400);
    assert.equal((await agent.get('/search?q=menu')).status, 200);
  });

  it('should serve an uploaded file of a risky type as plain bytes to download, never as a script or a page', async () => {
    for (const [name, type] of [
      ['x.js', 'text/javascript'],
      ['x.html', 'text/html'],
      ['x.svg', 'image/svg+xml'],
    ]) {
      const res = await reply().attach('files', Buffer.from('alert(document.cookie)'), { filename: name, contentType: type });
      assert.equal(res.status, 303);
    }
    await reply().attach('files', Buffer.from('\x89PNG'), { filename: 'ok.png', contentType: 'image/png' });
    const files = await ctx.deps.db.all<{ id: number; name: string }>('SELECT id, name FROM attachments ORDER BY id');
    for (const f of files) {
      const res = await agent.get(`/api/v1/attachments/${f.id}`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', f.name);
      if (f.name === 'ok.png') {
        assert.equal(res.headers['content-type'], 'image/png');
        assert.match(res.headers['content-disposition'], /^inline/);
      } else {
        assert.equal(res.headers['content-type'], 'application/octet-stream', f.name);
        assert.match(res.headers['content-disposition'], /^attachment/, f.name);
      }
    }
  });

  it('should show a shared link only when it is http(s), never as a javascript: href', async () => {
    const m = await ctx.deps.db.get<{ id: number }>("SELECT id FROM messages WHERE direction = 'in'");
    // As an older install may have stored it, before the webhook checked links.
    await ctx.deps.db.run(
      "INSERT INTO attachments (message_id, type, state, source_url, title, created_at) VALUES (?, 'fallback', 'unavailable', 'javascript:alert(1)', 'Click me', 0)",
      [m!.id],
    );
    await ctx.deps.db.run(
      "INSERT INTO attachments (message_id, type, state, source_url, title, created_at) VALUES (?, 'fallback', 'unavailable', 'https://example.com/menu', 'The menu', 0)",
      [m!.id],
    );
    const page = await agent.get(`/conversations/${conversationId}`);
    assert.doesNotMatch(page.text, /href="javascript:/i);
    assert.match(page.text, /href="https:\/\/example.com\/menu"/);
    assert.match(page.text, /Click me/);
    await request(ctx.app).get('/healthz');
  });
});
