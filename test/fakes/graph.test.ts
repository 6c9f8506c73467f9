import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  echoEvent,
  entry,
  metaJson,
  pageBody,
  postWebhook,
  signBody,
  signedRequest,
  startFakeGraph,
  textEvent,
  type FakeGraph,
} from './graph';

const TOKEN = 'EAAfakePageToken';

describe('fake Graph API', () => {
  let fake: FakeGraph;
  const api = (path: string) => `${fake.url}/v25.0${path}${path.includes('?') ? '&' : '?'}access_token=${TOKEN}`;
  const postJson = (path: string, body: unknown) =>
    fetch(api(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const textSend = (text: string, extra: Record<string, unknown> = {}) =>
    postJson('/me/messages', { recipient: { id: '5551234' }, messaging_type: 'RESPONSE', message: { text }, ...extra });

  beforeEach(async () => {
    fake = await startFakeGraph({ validToken: TOKEN, pageId: '1122334455' });
  });
  afterEach(() => fake.close());

  it('should answer each send with a unique message id and record it', async () => {
    const a = await (await textSend('hello')).json();
    const b = await (await textSend('again')).json();
    assert.equal(a.recipient_id, '5551234');
    assert.match(a.message_id, /^m_fake_\d+$/);
    assert.notEqual(a.message_id, b.message_id);
    const typing = await postJson('/1122334455/messages', { recipient: { id: '5551234' }, sender_action: 'typing_on' });
    assert.deepEqual(await typing.json(), { recipient_id: '5551234' });
    assert.deepEqual(
      fake.sends().map((c) => c.params.message.text),
      ['hello', 'again'],
    );
    assert.equal(fake.senderActions().length, 1);
    assert.equal(fake.sends()[0]!.query.access_token, TOKEN);
  });

  it('should fail the next n sends with a Meta error body, then recover', async () => {
    fake.failSends(2, { code: 10, subcode: 2018278 });
    for (let i = 0; i < 2; i++) {
      const res = await textSend('late');
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const { error } = await res.json();
      assert.equal(error.code, 10);
      assert.equal(error.error_subcode, 2018278);
      assert.equal(error.type, 'OAuthException');
      assert.match(error.fbtrace_id, /^Afake/);
    }
    assert.equal((await textSend('ok')).status, 200);
    assert.equal(fake.sends().length, 3);
    assert.equal(fake.deliveredSends().length, 1);
  });

  it('should validate like the Send API', async () => {
    const noRecipient = await postJson('/me/messages', { messaging_type: 'RESPONSE', message: { text: 'x' } });
    assert.equal((await noRecipient.json()).error.message, '(#100) The parameter recipient is required');
    const long = await (await textSend('é'.repeat(2001))).json();
    assert.equal(long.error.message, '(#100) Length of param message[text] must be less than or equal to 2000');
    assert.equal((await textSend('é'.repeat(2000))).status, 200);
    assert.equal((await textSend('x', { messaging_type: 'MESSAGE_TAG' })).status, 400);
    assert.equal((await textSend('x', { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' })).status, 200);
  });

  it('should refuse a wrong token with code 190 and a www-authenticate header', async () => {
    const res = await fetch(`${fake.url}/v25.0/me?access_token=stale`);
    assert.equal(res.status, 400);
    assert.match(res.headers.get('www-authenticate') ?? '', /^OAuth "Facebook Platform"/);
    const { error } = await res.json();
    assert.deepEqual([error.code, error.error_subcode], [190, 463]);
    assert.deepEqual(await (await fetch(api('/me?fields=id,name'))).json(), { id: '1122334455', name: 'ChatX Test Page' });
  });

  it('should parse a multipart upload with the file bytes intact', async () => {
    const bytes = crypto.randomBytes(70_000);
    const form = new FormData();
    form.set('recipient', JSON.stringify({ id: '5551234' }));
    form.set('messaging_type', 'RESPONSE');
    form.set('message', JSON.stringify({ attachment: { type: 'image', payload: { is_reusable: true } } }));
    form.set('filedata', new Blob([bytes], { type: 'image/png' }), 'photo "1".png');
    const res = await fetch(api('/me/messages'), { method: 'POST', body: form });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(body.attachment_id);
    const call = fake.sends()[0]!;
    assert.deepEqual(JSON.parse(call.fields!.recipient!), { id: '5551234' });
    assert.equal(call.params.message.attachment.type, 'image');
    assert.equal(call.files!.length, 1);
    const file = call.files![0]!;
    assert.deepEqual([file.field, file.filename, file.contentType], ['filedata', 'photo "1".png', 'image/png']);
    assert.ok(file.data.equals(bytes));
    assert.ok(fake.attachments.get(body.attachment_id)!.file!.data.equals(bytes));

    const upload = new FormData();
    upload.set('message', JSON.stringify({ attachment: { type: 'file', payload: { is_reusable: true } } }));
    upload.set('filedata', new Blob([Buffer.from('%PDF-1.4')], { type: 'application/pdf' }), 'a.pdf');
    const uploaded = await (await fetch(api('/1122334455/message_attachments'), { method: 'POST', body: upload })).json();
    assert.match(uploaded.attachment_id, /^\d+$/);
  });

  it('should answer profiles: default, set, empty and error', async () => {
    fake.profiles.set('111', { first_name: 'Ana', last_name: 'Lima', id: '111' });
    fake.profiles.set('222', 'empty');
    fake.profiles.set('333', { code: 2018218 });
    const get = async (psid: string) => {
      const res = await fetch(api(`/${psid}?fields=first_name,last_name,profile_pic`));
      return { status: res.status, body: await res.json() };
    };
    assert.deepEqual(await get('9876543'), { status: 200, body: { name: 'Customer 6543', id: '9876543' } });
    assert.equal((await get('111')).body.first_name, 'Ana');
    assert.deepEqual(await get('222'), { status: 200, body: {} });
    const err = await get('333');
    assert.equal(err.status, 400);
    assert.equal(err.body.error.code, 2018218);
    assert.equal(err.body.error.message, 'No profile available for this user.');
    assert.equal(fake.calls.at(-1)!.query.fields, 'first_name,last_name,profile_pic');
  });

  it('should serve files and answer expired ones with 404', async () => {
    const url = fake.serveFile('/cdn/pic.jpg?oe=abc', Buffer.from([1, 2, 3]), 'image/jpeg');
    const ok = await fetch(url);
    assert.equal(ok.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...new Uint8Array(await ok.arrayBuffer())], [1, 2, 3]);
    const gone = await fetch(`${fake.url}/cdn/other.jpg`);
    assert.equal(gone.status, 404);
    assert.equal(await gone.text(), 'URL signature expired');
    assert.equal(fake.calls.length, 2);
  });

  it('should hang sends while asked to and drop them on release', async () => {
    fake.hangSends(true);
    const pending = textSend('slow').then(
      () => 'answered',
      () => 'dropped',
    );
    await fake.waitForCalls((c) => c.path.endsWith('/messages'));
    fake.hangSends(false);
    assert.equal(await pending, 'dropped');
    assert.equal(fake.sends()[0]!.status, undefined);
  });

  it('should escape JSON like Meta and sign the exact bytes', () => {
    assert.equal(metaJson({ t: 'é😀/' }), '{"t":"\\u00e9\\ud83d\\ude00\\/"}');
    assert.deepEqual(JSON.parse(metaJson({ t: 'é😀/' })), { t: 'é😀/' });
    const body = metaJson({ object: 'page' });
    assert.equal(
      signBody(body, 's3cret'),
      'sha256=' + crypto.createHmac('sha256', 's3cret').update(Buffer.from(body)).digest('hex'),
    );
    const [sig, payload] = signedRequest({ user_id: '218471', algorithm: 'HMAC-SHA256' }, 's3cret').split('.');
    assert.doesNotMatch(sig! + payload!, /[=+/]/);
    assert.equal(sig, crypto.createHmac('sha256', 's3cret').update(payload!).digest('base64url'));
    assert.equal(JSON.parse(Buffer.from(payload!, 'base64url').toString()).user_id, '218471');
  });

  it('should build Meta-shaped bodies and post them signed', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const app = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('EVENT_RECEIVED');
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
      const body = pageBody([
        entry('1122334455', [
          textEvent({ pageId: '1122334455', psid: '5551234', mid: 'm_1', text: 'olá', timestamp: 1 }),
          echoEvent({ pageId: '1122334455', psid: '5551234', mid: 'm_2', text: 'hi', appId: '4242', timestamp: 2 }),
        ]),
      ]);
      assert.deepEqual(await postWebhook(base, body, 'appsecret'), { status: 200, text: 'EVENT_RECEIVED' });
      await postWebhook(base, body, 'appsecret', { signature: null });
      const [signed, unsigned] = received;
      assert.equal(signed!.body, metaJson(body));
      assert.equal(signed!.headers['x-hub-signature-256'], signBody(signed!.body, 'appsecret'));
      assert.equal(unsigned!.headers['x-hub-signature-256'], undefined);
      const parsed = JSON.parse(signed!.body);
      assert.deepEqual(parsed.entry[0].messaging[0], {
        sender: { id: '5551234' },
        recipient: { id: '1122334455' },
        timestamp: 1,
        message: { mid: 'm_1', text: 'olá' },
      });
      assert.deepEqual(parsed.entry[0].messaging[1].message, { is_echo: true, app_id: 4242, mid: 'm_2', text: 'hi' });
      assert.equal(parsed.entry[0].messaging[1].sender.id, '1122334455');
    } finally {
      await new Promise((r) => app.close(r));
    }
  });
});
