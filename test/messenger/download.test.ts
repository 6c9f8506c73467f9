// Attachment downloads fetch only from Meta's CDN (src/messenger/download.ts): never another host,
// never plain http, never an address on this machine or the local network, not even by a redirect.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { download, DownloadRefused, isPublicAddress, publicLookup, refusal } from '../../src/messenger/download';
import { attachmentEvent, uniqueMid, type FakeGraph } from '../fakes/graph';
import { PAGE_ID, liveContextPerTest, postEvents, type Ctx } from './support';

describe('Attachment downloads (only from Meta’s CDN)', () => {
  it('should tell public addresses from loopback, private, link-local and reserved ones', () => {
    for (const address of ['8.8.8.8', '157.240.22.35', '2a03:2880:f12f:83:face:b00c::25de'])
      assert.equal(isPublicAddress(address), true, address);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      'not an address',
    ])
      assert.equal(isPublicAddress(address), false, address);
  });

  it('should allow only https URLs on Meta CDN hosts, or the one trusted origin', () => {
    const policy = { trustedOrigin: 'http://127.0.0.1:4000' };
    for (const ok of [
      'https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?oe=1',
      'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1',
      'https://cdn.fbsbx.com/v/file.pdf',
      'http://127.0.0.1:4000/cdn/photo.jpg',
    ])
      assert.equal(refusal(new URL(ok), policy), undefined, ok);
    for (const bad of [
      'http://scontent.xx.fbcdn.net/photo.jpg',
      'https://evil.example/photo.jpg',
      'https://fbcdn.net.evil.example/photo.jpg',
      'https://evilfbcdn.net/photo.jpg',
      'https://user:secret@scontent.xx.fbcdn.net/photo.jpg',
      'http://127.0.0.1:4001/cdn/photo.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
    ])
      assert.ok(refusal(new URL(bad), policy), bad);
  });

  it('should refuse a host that resolves to this machine, after the DNS lookup', async () => {
    const err = await new Promise<Error | null>((resolve) => publicLookup('localhost', {}, (e) => resolve(e)));
    assert.ok(err instanceof DownloadRefused);
    assert.match(err.message, /not public/);
  });

  describe('through the attachment job', () => {
    let ctx: Ctx;
    let fake: FakeGraph;
    liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
    let inside: http.Server;
    let hits: string[];
    beforeEach(async () => {
      hits = [];
      inside = http.createServer((req, res) => {
        hits.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('a secret from inside the network');
      });
      await new Promise<void>((resolve) => inside.listen(0, '127.0.0.1', resolve));
    });
    afterEach(() => {
      inside.closeAllConnections();
      inside.close();
    });
    const insideUrl = () => `http://127.0.0.1:${(inside.address() as AddressInfo).port}/admin/secret.txt`;

    async function receive(url: string) {
      await postEvents(ctx, [
        attachmentEvent({ pageId: PAGE_ID, psid: '9001', mid: uniqueMid(), attachments: [{ type: 'file', payload: { url } }] }),
      ]);
      await ctx.deps.queue.kick();
      return ctx.deps.db.get<{ state: string; data: Buffer | null }>(
        'SELECT state, data FROM attachments ORDER BY id DESC LIMIT 1',
      );
    }

    it('should not fetch a URL on this machine, and keep the message with the file unavailable', async () => {
      assert.deepEqual(await receive(insideUrl()), { state: 'unavailable', data: null });
      assert.deepEqual(await receive(`https://169.254.169.254/latest/meta-data/`), { state: 'unavailable', data: null });
      assert.deepEqual(hits, []);
    });

    it('should not follow a redirect from the CDN to anywhere else', async () => {
      fake.serveRedirect('/cdn/moved.pdf', insideUrl());
      assert.deepEqual(await receive(`${fake.url}/cdn/moved.pdf`), { state: 'unavailable', data: null });
      assert.deepEqual(hits, []);
    });

    it('should follow a redirect that stays on the allowed origin', async () => {
      fake.serveFile('/cdn/real.pdf', Buffer.from('%PDF-1.4'), 'application/pdf');
      fake.serveRedirect('/cdn/alias.pdf', `${fake.url}/cdn/real.pdf`);
      const row = await receive(`${fake.url}/cdn/alias.pdf`);
      assert.equal(row!.state, 'stored');
      assert.equal(row!.data!.toString(), '%PDF-1.4');
    });

    it('should refuse by itself too, whatever the job asks of it', async () => {
      await assert.rejects(download(new URL(insideUrl()), {}, { cap: 1000, signal: AbortSignal.timeout(2000) }), DownloadRefused);
      assert.deepEqual(hits, []);
    });
  });
});
