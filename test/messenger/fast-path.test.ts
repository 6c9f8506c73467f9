// The server answers POST /webhooks/messenger in front of Express (src/messenger/webhook/fast-path.ts,
// webhookFastPath). These run against a real listening server, so that path is the one exercised.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { start, type RunningServer } from '../../src/server';
import { testConfig } from '../support/context';
import { entry, metaJson, pageBody, signBody, textEvent, uniqueMid } from '../fakes/messenger-events';

const SECRET = 'fast-path-secret';

describe('POST /webhooks/messenger on the running server (the fast path)', function () {
  this.timeout(30_000);
  let server: RunningServer;
  let dataDir: string;

  before(async () => {
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', FB_APP_SECRET: SECRET, FB_PAGE_ID: '1000', FB_VERIFY_TOKEN: 'vt' });
    dataDir = config.dataDir;
    server = await start(config);
  });

  after(async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (body: string | Buffer, signature?: string) =>
    fetch(`${server.url}/webhooks/messenger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });

  it('should store a signed message once, however often Meta sends it, and answer 200', async () => {
    const mid = uniqueMid();
    const body = metaJson(
      pageBody([entry('1000', [textEvent({ pageId: '1000', psid: '5550001', mid, text: 'Grüße über den schnellen Weg' })])]),
    );
    for (let i = 0; i < 3; i++) {
      const res = await post(body, signBody(body, SECRET));
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'EVENT_RECEIVED');
    }
    const rows = await server.services.db.all<{ text: string }>('SELECT text FROM messages WHERE mid = ?', [mid]);
    assert.deepEqual(rows, [{ text: 'Grüße über den schnellen Weg' }]);
  });

  it('should answer 403 with a JSON error and store nothing when the signature is missing or wrong', async () => {
    const body = metaJson(
      pageBody([entry('1000', [textEvent({ pageId: '1000', psid: '5550002', mid: uniqueMid(), text: 'forged' })])]),
    );
    for (const signature of [undefined, signBody(body, 'not the secret')]) {
      const res = await post(body, signature);
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error.code, 'invalid-signature');
    }
    assert.equal(await server.services.db.get("SELECT id FROM messages WHERE text = 'forged'"), undefined);
  });

  it('should answer 400 to malformed JSON, 200 IGNORED to other objects, and 413 past 5 MB', async () => {
    const broken = '{"object": "page", ';
    const bad = await post(broken, signBody(broken, SECRET));
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, 'malformed-json');
    const other = JSON.stringify({ object: 'instagram', entry: [] });
    const ignored = await post(other, signBody(other, SECRET));
    assert.equal(ignored.status, 200);
    assert.equal(await ignored.text(), 'IGNORED');
    const huge = Buffer.alloc(5 * 1024 * 1024 + 10, 0x20);
    const tooLarge = await post(huge, signBody(huge, SECRET));
    assert.equal(tooLarge.status, 413);
    assert.equal((await tooLarge.json()).error.code, 'body-too-large');
  });

  it('should still serve the verify handshake and everything else through the app', async () => {
    const ok = await fetch(`${server.url}/webhooks/messenger?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42`);
    assert.equal(await ok.text(), '42');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it('should give the webhook what every request gets: a request id and the same security headers as the app', async () => {
    const body = metaJson(pageBody([entry('1000', [])]));
    const webhook = await post(body, signBody(body, SECRET));
    const page = await fetch(`${server.url}/login`);
    assert.match(webhook.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(webhook.headers.get('x-request-id'), page.headers.get('x-request-id'));
    for (const header of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']) {
      assert.ok(webhook.headers.get(header), `${header} on the webhook`);
      assert.equal(webhook.headers.get(header), page.headers.get(header), header);
    }
    // A proxy's request id is kept, so one request can be followed through both logs.
    const traced = await fetch(`${server.url}/webhooks/messenger`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signBody(body, SECRET),
        'x-request-id': 'caddy-7f3a',
      },
      body,
    });
    assert.equal(traced.headers.get('x-request-id'), 'caddy-7f3a');
    const refused = await fetch(`${server.url}/webhooks/messenger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'not an id <script>' },
      body,
    });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'an id that does not look like one is replaced');
  });

  it('should hand a body nested thousands of levels deep to the writer thread, answer 200 and store the rest', async () => {
    const mid = uniqueMid();
    const deep = '{"deeper":'.repeat(5000) + '"bottom"' + '}'.repeat(5000);
    const body = metaJson(
      pageBody([entry('1000', [{ ...textEvent({ pageId: '1000', psid: '5550003', mid, text: 'beside it' }), extra: 'DEEP' }])]),
    ).replace('"DEEP"', deep);
    const res = await post(body, signBody(body, SECRET));
    assert.equal(res.status, 200);
    assert.deepEqual(await server.services.db.all('SELECT text FROM messages WHERE mid = ?', [mid]), [{ text: 'beside it' }]);
  });
});
