import assert from 'node:assert/strict';
import request from 'supertest';
import { getSetting } from '../../src/settings/store';
import {
  entry,
  metaJson,
  pageBody,
  signBody,
  signBodySha1,
  textEvent,
  uniqueMid,
  type FakeGraph,
  type MessagingEvent,
} from '../fakes/graph';
import { APP_SECRET, PAGE_ID, count, messages, openContext, postSigned, secretOf, liveContextPerTest, type Ctx } from './support';

describe('GET /webhooks/messenger', () => {
  let ctx: Ctx;
  afterEach(() => ctx.close());

  const verify = (token: string, mode = 'subscribe') =>
    request(ctx.app)
      .get('/webhooks/messenger')
      .query({ 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': '1158201444' });

  it('should echo the bare challenge when the verify token from the environment matches', async () => {
    ctx = await openContext({ FB_VERIFY_TOKEN: 'my-verify-token' });
    const res = await verify('my-verify-token');
    assert.equal(res.status, 200);
    assert.equal(res.text, '1158201444');
    assert.match(res.headers['content-type'], /^text\/plain/);
  });

  it('should answer 403 to a wrong token or a mode other than subscribe', async () => {
    ctx = await openContext({ FB_VERIFY_TOKEN: 'my-verify-token' });
    assert.equal((await verify('not-it')).status, 403);
    assert.equal((await verify('my-verify-token', 'unsubscribe')).status, 403);
    assert.equal((await request(ctx.app).get('/webhooks/messenger')).status, 403);
  });

  it('should accept the generated verify token shown in Settings when none is configured', async () => {
    ctx = await openContext();
    assert.equal((await verify('anything')).status, 403);
    const token = await getSetting(ctx.deps.db, 'messenger.verify_token');
    assert.ok(token);
    assert.equal((await verify(token)).text, '1158201444');
  });
});

describe('POST /webhooks/messenger', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));

  const body = (text: string, mid = uniqueMid()) =>
    pageBody([entry(PAGE_ID, [textEvent({ pageId: PAGE_ID, psid: '7001', mid, text })])]);

  it('should store a message signed with the app secret and answer 200', async () => {
    const res = await postSigned(ctx, body('hello there'));
    assert.equal(res.status, 200);
    assert.equal(res.text, 'EVENT_RECEIVED');
    const [m] = await messages(ctx);
    assert.equal(m.text, 'hello there');
    assert.equal(m.direction, 'in');
    assert.ok(Number(await getSetting(ctx.deps.db, 'messenger.last_event_at')) > 0);
  });

  it('should refuse a wrong, malformed or missing signature with 403 and store nothing', async () => {
    const bytes = metaJson(body('hi'));
    const wrongSecret = signBody(bytes, 'another secret');
    const upper = signBody(bytes, APP_SECRET).replace('sha256=', 'SHA256=').slice(0, -1) + 'X';
    for (const signature of [wrongSecret, null, 'sha256=', 'sha256=zz', upper, signBody(bytes + ' ', APP_SECRET)]) {
      const res = await postSigned(ctx, bytes, { signature });
      assert.equal(res.status, 403, `signature ${signature}`);
      assert.equal(res.body.error.code, 'invalid-signature');
    }
    // The legacy sha1 header alone is not enough.
    const legacy = await request(ctx.app)
      .post('/webhooks/messenger')
      .set('content-type', 'application/json')
      .set('x-hub-signature', signBodySha1(bytes, APP_SECRET))
      .send(bytes);
    assert.equal(legacy.status, 403);
    assert.equal(await count(ctx, 'messages'), 0);
    assert.equal(await count(ctx, 'contacts'), 0);
  });

  it('should verify a unicode body over Meta\u2019s \\u-escaped bytes and store the decoded text', async () => {
    const text = 'Grüße aus Köln — ça va? 👋 日本語';
    const bytes = metaJson(body(text));
    assert.ok(bytes.includes('\\u00fc') && bytes.includes('\\ud83d\\udc4b'), 'the fake escapes like Meta');
    assert.equal((await postSigned(ctx, bytes)).status, 200);
    assert.equal((await messages(ctx))[0].text, text);
  });

  it('should refuse a signature computed over re-serialised (decoded) JSON', async () => {
    const value = body('Grüße 👋');
    const res = await postSigned(ctx, metaJson(value), { signature: signBody(JSON.stringify(value), APP_SECRET) });
    assert.equal(res.status, 403);
    assert.equal(await count(ctx, 'messages'), 0);
  });

  it('should answer 413 to a body over the limit and store nothing', async () => {
    const huge = body('x'.repeat(6 * 1024 * 1024));
    const res = await postSigned(ctx, huge);
    assert.equal(res.status, 413);
    assert.equal(await count(ctx, 'messages'), 0);
  });

  it('should answer 400 to signed malformed JSON', async () => {
    const res = await postSigned(ctx, '{"object":"page","entry":[');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'malformed-json');
  });

  it('should acknowledge a non-page object with 200 and store nothing', async () => {
    const other = {
      object: 'instagram',
      entry: [
        { id: PAGE_ID, time: Date.now(), messaging: [textEvent({ pageId: PAGE_ID, psid: '7001', mid: uniqueMid(), text: 'x' })] },
      ],
    };
    assert.equal((await postSigned(ctx, other)).status, 200);
    assert.equal((await postSigned(ctx, { object: 'page' })).status, 200);
    assert.equal((await postSigned(ctx, 'null')).status, 200);
    assert.equal(await count(ctx, 'messages'), 0);
    assert.equal(await count(ctx, 'contacts'), 0);
  });

  it('should skip unknown event kinds with 200 and keep the rest of the batch', async () => {
    const t = Date.now();
    const events = [
      { sender: { id: '7001' }, recipient: { id: PAGE_ID }, timestamp: t, optin: { ref: 'x' } },
      { sender: { id: '7001' }, recipient: { id: PAGE_ID }, timestamp: t + 1, pass_thread_control: { new_owner_app_id: '1' } },
      { sender: { id: '7001' }, recipient: { id: PAGE_ID }, timestamp: t + 2 },
      { recipient: { id: PAGE_ID }, timestamp: t + 3, message: { mid: uniqueMid(), text: 'no sender' } },
      textEvent({ pageId: PAGE_ID, psid: '7001', mid: uniqueMid(), text: 'kept', timestamp: t + 4 }),
    ];
    const res = await postSigned(ctx, pageBody([entry(PAGE_ID, events as MessagingEvent[])]));
    assert.equal(res.status, 200);
    assert.deepEqual(
      (await messages(ctx)).map((m) => m.text),
      ['kept'],
    );
  });

  it('should commit before answering and make no network call first, so Meta being down changes nothing', async () => {
    await fake.close();
    const res = await postSigned(ctx, body('while Meta is unreachable'));
    assert.equal(res.status, 200);
    assert.equal((await messages(ctx)).length, 1);
    const job = await ctx.deps.db.get<{ kind: string }>("SELECT kind FROM jobs WHERE kind = 'messenger.profile'");
    assert.ok(job, 'the profile lookup waits as a job');
    await ctx.deps.queue.kick();
  });

  it('should store concurrent deliveries of the same body once, answering each with 200', async () => {
    const same = body('sent twice at once');
    const others = Array.from({ length: 12 }, (_, i) => body(`concurrent ${i}`));
    const answers = await Promise.all([same, same, ...others, same].map((b) => postSigned(ctx, b)));
    assert.deepEqual(
      answers.map((r) => r.status),
      answers.map(() => 200),
    );
    const texts = (await messages(ctx)).map((m) => m.text);
    assert.equal(texts.length, 13);
    assert.equal(texts.filter((t) => t === 'sent twice at once').length, 1);
    assert.equal(await count(ctx, 'contacts'), 1);
    assert.equal(await count(ctx, 'conversations'), 1);
  });

  it('should still store the good bodies sent together with one it cannot read', async () => {
    const poison = { object: 'page', entry: [{ id: PAGE_ID, time: Date.now(), messaging: { not: 'a list' } }] };
    const good = Array.from({ length: 6 }, (_, i) => body(`good ${i}`));
    const answers = await Promise.all([...good.slice(0, 3), poison, ...good.slice(3)].map((b) => postSigned(ctx, b)));
    assert.deepEqual(
      answers.filter((_, i) => i !== 3).map((r) => r.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.equal(await count(ctx, 'messages'), 6);
  });

  it('should refuse signatures made with another secret than the environment one', async () => {
    assert.equal(await secretOf(ctx), APP_SECRET);
    assert.equal((await postSigned(ctx, body('x'), { secret: 'sandbox-secret' })).status, 403);
  });
});

describe('POST /webhooks/messenger in sandbox mode', () => {
  let ctx: Ctx;
  beforeEach(async () => {
    ctx = await openContext();
  });
  afterEach(() => ctx.close());

  it('should check signatures with the generated sandbox secret', async () => {
    const secret = await secretOf(ctx);
    assert.equal(await getSetting(ctx.deps.db, 'messenger.sandbox_secret'), secret);
    assert.equal(
      (
        await postSigned(
          ctx,
          pageBody([entry('sandbox', [textEvent({ pageId: 'sandbox', psid: '9', mid: uniqueMid(), text: 'hi' })])]),
        )
      ).status,
      200,
    );
    assert.equal((await postSigned(ctx, pageBody([]), { secret: 'guess' })).status, 403);
    assert.equal(await count(ctx, 'messages'), 1);
  });
});

describe('POST /webhooks/messenger with a body of an unexpected shape', () => {
  let ctx: Ctx;
  afterEach(() => ctx.close());

  it('should answer 200, skip what it cannot read, and store the rest', async () => {
    ctx = await openContext({ FB_PAGE_ID: PAGE_ID });
    const good = textEvent({ pageId: PAGE_ID, psid: '8801', mid: uniqueMid(), text: 'still stored' });
    const body = {
      object: 'page',
      entry: [
        { id: PAGE_ID, time: Date.now(), messaging: {} },
        {
          id: PAGE_ID,
          time: Date.now(),
          messaging: [null, 'text', { sender: { id: '8802' }, message: { mid: uniqueMid(), attachments: {} } }],
        },
        { id: PAGE_ID, time: Date.now(), messaging: [good] },
      ],
    };
    const res = await postSigned(ctx, body);
    assert.equal(res.status, 200);
    const texts = (await messages(ctx)).map((m) => m.text);
    assert.ok(texts.includes('still stored'));
    assert.equal(await count(ctx, 'messages'), 2, 'the odd message is kept without its unreadable attachments');
  });
});
