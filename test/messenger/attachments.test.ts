import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { RetryLater } from '../../src/core/queue';
import { attachmentJob } from '../../src/messenger/attachment-job';
import { addUser, signIn } from '../support/browser-session';
import { attachmentEvent, uniqueMid, type FakeGraph, type WebhookAttachment } from '../fakes/graph';
import { PAGE_ID, bearer, count, dueNow, messages, postEvents, liveContextPerTest, type Ctx } from './support';

interface Row {
  id: number;
  type: string;
  state: string;
  name: string | null;
  title: string | null;
  content_type: string | null;
  size: number | null;
  data: Buffer | null;
  sticker_id: string | null;
}

describe('Incoming attachments', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let auth: string;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    auth = await bearer(ctx);
  });

  async function receive(attachments: WebhookAttachment[], text?: string): Promise<Row[]> {
    await postEvents(ctx, [attachmentEvent({ pageId: PAGE_ID, psid: '8001', mid: uniqueMid(), attachments, text })]);
    await ctx.deps.queue.kick();
    return ctx.deps.db.all<Row>(
      'SELECT id, type, state, name, title, content_type, size, data, sticker_id FROM attachments ORDER BY id',
    );
  }

  const download = (id: number) => request(ctx.app).get(`/api/v1/attachments/${id}`).set('authorization', auth);
  /** The attachment job with a smaller size cap, or fetching from a server of the test's own (a trusted origin). */
  const useJob = (options: { cap?: number; trustedOrigin?: string } = {}) =>
    ctx.deps.queue.register(
      'messenger.attachment',
      attachmentJob(
        ctx.deps.db,
        ctx.deps.conversations,
        ctx.deps.channel,
        { trustedOrigin: options.trustedOrigin ?? new URL(fake.url).origin },
        options.cap,
      ),
    );
  const origin = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cdnCalls = (path: string) => fake.calls.filter((c) => c.path === path).length;

  it('should download an image into the database and serve it with its content type', async () => {
    const bytes = crypto.randomBytes(3000);
    const url = fake.serveFile('/cdn/v/t1.15752-9/photo_123.jpg', bytes, 'image/jpeg');
    const [a] = await receive([{ type: 'image', payload: { url: `${url}?oe=6700AB12&_nc_sid=abc` } }]);
    assert.deepEqual([a.type, a.state, a.content_type, a.size, a.name], ['image', 'stored', 'image/jpeg', 3000, 'photo_123.jpg']);
    assert.ok(a.data!.equals(bytes));
    const res = await download(a.id).buffer(true);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.match(res.headers['content-disposition'], /^inline/);
    assert.ok(Buffer.from(res.body).equals(bytes));
    // Behind a signed-in session too (the UI), never public.
    await addUser(ctx.deps.db, 'staff@example.com', 'staff');
    const { agent } = await signIn(ctx.app, 'staff@example.com');
    const viaSession = await agent.get(`/api/v1/attachments/${a.id}`).buffer(true);
    assert.equal(viaSession.status, 200);
    assert.ok(Buffer.from(viaSession.body).equals(bytes));
    assert.equal((await request(ctx.app).get(`/api/v1/attachments/${a.id}`)).status, 401);
    const [m] = await messages(ctx);
    const api = await request(ctx.app).get(`/api/v1/conversations/1/messages`).set('authorization', auth);
    assert.deepEqual(api.body.data[0].attachments, [
      { id: a.id, type: 'image', name: 'photo_123.jpg', size: 3000, state: 'stored' },
    ]);
    assert.equal(api.body.data[0].id, m.id);
  });

  it('should download a file, keep its name and serve it as a download', async () => {
    const pdf = Buffer.from('%PDF-1.4 fake invoice');
    const url = fake.serveFile('/cdn/invoice-2026.pdf', pdf, 'application/pdf');
    const [a] = await receive([{ type: 'file', payload: { url } }], 'here is the invoice');
    assert.deepEqual([a.state, a.name, a.content_type], ['stored', 'invoice-2026.pdf', 'application/pdf']);
    const res = await download(a.id).buffer(true);
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.match(res.headers['content-disposition'], /^attachment; filename\*=UTF-8''invoice-2026\.pdf/);
    assert.equal((await messages(ctx))[0].text, 'here is the invoice');
  });

  it('should keep a message whose fallback attachment has no URL, marked unavailable', async () => {
    const rows = await receive(
      [{ type: 'fallback' }, { type: 'fallback', payload: { title: 'Shared link', url: 'https://example.com/page' } }],
      'look',
    );
    assert.deepEqual(
      rows.map((r) => [r.type, r.state, r.title]),
      [
        ['fallback', 'unavailable', null],
        ['fallback', 'unavailable', 'Shared link'],
      ],
    );
    assert.equal((await messages(ctx))[0].text, 'look');
    const res = await download(rows[0].id);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'attachment-unavailable');
    assert.equal(fake.calls.filter((c) => c.path.startsWith('/cdn')).length, 0);
  });

  it('should keep a sticker sent as both sticker and image once, downloaded once', async () => {
    const png = crypto.randomBytes(500);
    const url = fake.serveFile('/cdn/sticker.png', png, 'image/png');
    const rows = await receive([
      { type: 'sticker', payload: { url, sticker_id: 369239263222822 } },
      { type: 'image', payload: { url, sticker_id: 369239263222822 } },
    ]);
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].type, rows[0].state, rows[0].sticker_id], ['sticker', 'stored', '369239263222822']);
    assert.equal(cdnCalls('/cdn/sticker.png'), 1);
    assert.equal(await count(ctx, 'messages'), 1);
  });

  it('should treat the older sticker shape (sticker_id on the message, an image attachment) as one sticker', async () => {
    const url = fake.serveFile('/cdn/like.png', Buffer.from('png'), 'image/png');
    const mid = uniqueMid();
    await postEvents(ctx, [
      {
        sender: { id: '8001' },
        recipient: { id: PAGE_ID },
        timestamp: Date.now(),
        message: { mid, sticker_id: 369239263222822, attachments: [{ type: 'image', payload: { url } }] },
      },
    ]);
    await ctx.deps.queue.kick();
    const rows = await ctx.deps.db.all<Row>('SELECT type, state, sticker_id FROM attachments');
    assert.deepEqual(rows, [{ type: 'sticker', state: 'stored', sticker_id: '369239263222822' }]);
  });

  it('should mark an expired URL (404) unavailable and keep the message', async () => {
    const [a] = await receive([{ type: 'video', payload: { url: `${fake.url}/cdn/expired.mp4?oe=1` } }], 'a video');
    assert.equal(a.state, 'unavailable');
    assert.equal(a.data, null);
    assert.equal((await messages(ctx))[0].text, 'a video');
    const job = await ctx.deps.db.get<{ state: string }>("SELECT state FROM jobs WHERE kind = 'messenger.attachment'");
    assert.equal(job!.state, 'done');
  });

  it('should retry a download that failed with a server error', async () => {
    const bytes = Buffer.from('audio bytes');
    fake.serveFile('/cdn/voice.mp4', Buffer.from('oops'), 'text/plain', 503);
    const [first] = await receive([{ type: 'audio', payload: { url: `${fake.url}/cdn/voice.mp4` } }]);
    assert.equal(first.state, 'pending');
    fake.serveFile('/cdn/voice.mp4', bytes, 'audio/mp4');
    await dueNow(ctx);
    await ctx.deps.queue.kick();
    const a = await ctx.deps.db.get<Row>('SELECT state, data FROM attachments WHERE id = ?', [first.id]);
    assert.equal(a!.state, 'stored');
    assert.ok(a!.data!.equals(bytes));
  });

  it('should mark an attachment over the size cap too_large and keep no bytes', async () => {
    useJob({ cap: 1024 });
    const url = fake.serveFile('/cdn/big.jpg', crypto.randomBytes(4096), 'image/jpeg');
    const [a] = await receive([{ type: 'image', payload: { url } }]);
    assert.deepEqual([a.state, a.data], ['too_large', null]);
    const res = await download(a.id);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'attachment-too-large');
  });

  it('should stop reading a download without Content-Length once it passes the cap', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' }); // chunked: no length announced
      for (let i = 0; i < 8; i++) res.write(crypto.randomBytes(512));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    useJob({ cap: 1024, trustedOrigin: origin(server) });
    try {
      const [a] = await receive([{ type: 'video', payload: { url: `${origin(server)}/v.mp4` } }]);
      assert.deepEqual([a.state, a.data], ['too_large', null]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('should retry a download cut off in the middle instead of leaving it pending for ever', async () => {
    const bytes = crypto.randomBytes(4000);
    let cut = true;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) });
      if (!cut) return void res.end(bytes);
      res.write(bytes.subarray(0, 1000));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    useJob({ trustedOrigin: origin(server) });
    try {
      const [a] = await receive([{ type: 'image', payload: { url: `${origin(server)}/p.jpg` } }]);
      assert.equal(a.state, 'pending');
      const job = await ctx.deps.db.get<{ state: string }>("SELECT state FROM jobs WHERE kind = 'messenger.attachment'");
      assert.equal(job!.state, 'pending', 'the download is tried again');
      cut = false;
      await dueNow(ctx);
      await ctx.deps.queue.kick();
      const row = await ctx.deps.db.get<Row>('SELECT state, data FROM attachments WHERE id = ?', [a.id]);
      assert.equal(row!.state, 'stored');
      assert.ok(row!.data!.equals(bytes));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('should answer 409 while an attachment is pending, 404 for an unknown one, 401 without a token', async () => {
    ctx.deps.queue.register('messenger.attachment', async () => {
      throw new RetryLater('not now', 60_000);
    });
    const url = fake.serveFile('/cdn/later.jpg', Buffer.from('x'), 'image/jpeg');
    const [a] = await receive([{ type: 'image', payload: { url } }]);
    assert.equal(a.state, 'pending');
    const pending = await download(a.id);
    assert.equal(pending.status, 409);
    assert.equal(pending.body.error.code, 'attachment-pending');
    assert.equal((await download(a.id + 100)).status, 404);
    assert.equal((await download(0)).status, 404);
    assert.equal((await request(ctx.app).get(`/api/v1/attachments/${a.id}`)).status, 401);
  });
});
