import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { getSetting } from '../../src/settings/store';
import { MAX_SEND_ATTEMPTS } from '../../src/messenger/outbox/sender';
import type { FakeGraph } from '../fakes/graph';
import {
  APP_SECRET,
  PAGE_TOKEN,
  conversationAged,
  dueNow,
  message,
  outboxOf,
  queue,
  sentTexts,
  settle,
  liveContextPerTest,
  type Ctx,
} from './support';

describe('Outbox: sending through the Send API', () => {
  let ctx: Ctx;
  let fake: FakeGraph;
  let conversationId: number;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    conversationId = await conversationAged(ctx, '8001', 1);
  });

  it('should send a reply as RESPONSE with our metadata, the Page token and appsecret_proof', async () => {
    const { id } = await queue(ctx, conversationId, 'Hello! How can we help?');
    await settle(ctx);
    const [call] = fake.sends();
    assert.equal(call.path, '/v25.0/me/messages');
    assert.equal(call.status, 200);
    assert.equal(call.token, PAGE_TOKEN);
    assert.equal(call.query.appsecret_proof, crypto.createHmac('sha256', APP_SECRET).update(PAGE_TOKEN).digest('hex'));
    assert.deepEqual(call.params.recipient, { id: '8001' });
    assert.equal(call.params.messaging_type, 'RESPONSE');
    assert.equal(call.params.tag, undefined);
    assert.deepEqual(call.params.message, { text: 'Hello! How can we help?', metadata: `chatx:${id}:0` });
    const m = await message(ctx, id);
    assert.deepEqual([m.status, m.mid], ['sent', (call.response as { message_id: string }).message_id]);
    assert.equal((await outboxOf(ctx, id)).state, 'done');
    assert.ok(Number(await getSetting(ctx.deps.db, 'messenger.last_send_at')) > 0);
  });

  it('should split a long text into parts of at most 2,000 characters, sent in order', async () => {
    const sentences = Array.from({ length: 120 }, (_, i) => `This is sentence number ${i + 1} of a long answer.`);
    const text = `${sentences.slice(0, 30).join(' ')}\n\n${sentences.slice(30).join(' ')}`;
    const { id } = await queue(ctx, conversationId, text);
    await settle(ctx);
    const parts = sentTexts(fake);
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    for (const p of parts) assert.ok([...p].length <= 2000 && p.length > 0);
    assert.equal(parts.join(' ').replace(/\s+/g, ' '), text.replace(/\s+/g, ' '));
    assert.ok(
      parts.every((p) => /^This is sentence number \d+/.test(p) && p.endsWith('.')),
      'cut at sentence ends',
    );
    assert.deepEqual(
      fake.sends().map((c) => c.params.message.metadata),
      parts.map((_, i) => `chatx:${id}:${i}`),
    );
    assert.deepEqual([(await outboxOf(ctx, id)).parts_sent, (await outboxOf(ctx, id)).parts_total], [parts.length, parts.length]);
  });

  it('should cut a text without spaces hard, never inside an emoji', async () => {
    const text = '😀'.repeat(2500);
    await queue(ctx, conversationId, text);
    await settle(ctx);
    const parts = sentTexts(fake);
    assert.deepEqual(
      parts.map((p) => [...p].length),
      [2000, 500],
    );
    assert.equal(parts.join(''), text);
  });

  it('should resume a split message at the part that failed, sending no part twice', async () => {
    const text = Array.from({ length: 3 }, (_, i) => `${String(i).repeat(1500)}`).join('\n\n');
    const { id } = await queue(ctx, conversationId, text);
    fake.failRequests((c) => c.params.message?.metadata === `chatx:${id}:1`, { status: 500, code: 2 }, 1);
    await settle(ctx);
    assert.equal((await outboxOf(ctx, id)).parts_sent, 1);
    await dueNow(ctx);
    await ctx.deps.outbox.kick();
    assert.deepEqual(
      fake.deliveredSends().map((c) => c.params.message.metadata),
      [0, 1, 2].map((i) => `chatx:${id}:${i}`),
    );
    assert.equal((await message(ctx, id)).status, 'sent');
  });

  it('should upload a file as multipart filedata, then send the text', async () => {
    const png = crypto.randomBytes(2048);
    const pdf = Buffer.from('%PDF-1.7 menu');
    const { id } = await queue(ctx, conversationId, 'Our menu', {
      files: [
        { name: 'photo.png', contentType: 'image/png', data: png },
        { name: 'menu.pdf', contentType: 'application/pdf', data: pdf },
      ],
    });
    await settle(ctx);
    const [image, file, text] = fake.sends();
    assert.match(String(image.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.equal(image.query.appsecret_proof, crypto.createHmac('sha256', APP_SECRET).update(PAGE_TOKEN).digest('hex'));
    assert.deepEqual(
      image.files!.map((f) => [f.field, f.filename, f.contentType]),
      [['filedata', 'photo.png', 'image/png']],
    );
    assert.ok(image.files![0].data.equals(png));
    assert.equal(image.params.message.attachment.type, 'image');
    assert.equal(image.params.message.metadata, `chatx:${id}:0`);
    assert.equal(image.params.messaging_type, 'RESPONSE');
    assert.deepEqual(image.params.recipient, { id: '8001' });
    assert.equal(file.params.message.attachment.type, 'file');
    assert.ok(file.files![0].data.equals(pdf));
    assert.equal(text.params.message.text, 'Our menu');
    assert.ok([image, file, text].every((c) => c.status === 200));
    assert.equal((await message(ctx, id)).status, 'sent');
  });

  it('should keep the order of replies within a conversation while one waits for a retry', async () => {
    const other = await conversationAged(ctx, '8002', 1);
    fake.failSends(1, { status: 503, code: 2 });
    await queue(ctx, conversationId, 'first');
    await queue(ctx, conversationId, 'second');
    await queue(ctx, other, 'elsewhere');
    await settle(ctx);
    assert.deepEqual(
      fake.deliveredSends().map((c) => c.params.message.text),
      ['elsewhere'],
    );
    await dueNow(ctx);
    await ctx.deps.outbox.kick();
    assert.deepEqual(
      fake.deliveredSends().map((c) => c.params.message.text),
      ['elsewhere', 'first', 'second'],
    );
  });

  describe('errors', () => {
    it('should retry transient errors (5xx, 1, 2, 4, 17, 32, 613) with growing, jittered backoff', async () => {
      const specs = [
        { status: 500, code: 1 },
        { code: 2 },
        { code: 4 },
        { code: 17 },
        { code: 32 },
        { code: 613 },
        { status: 502, code: 100 },
      ];
      for (const spec of specs) {
        fake.reset();
        fake.failSends(2, spec);
        const { id } = await queue(ctx, conversationId, `transient ${JSON.stringify(spec)}`);
        const before = Date.now();
        await ctx.deps.outbox.kick();
        const first = await outboxOf(ctx, id);
        assert.deepEqual(
          [first.state, first.attempts, (await message(ctx, id)).status],
          ['pending', 1, 'queued'],
          JSON.stringify(spec),
        );
        assert.ok(
          first.next_attempt_at - before >= 1500 && first.next_attempt_at - before <= 2500 + 200,
          `first delay ${first.next_attempt_at - before}`,
        );
        assert.ok(first.last_error);
        await dueNow(ctx);
        const again = Date.now();
        await ctx.deps.outbox.kick();
        const second = await outboxOf(ctx, id);
        assert.ok(
          second.next_attempt_at - again >= 3000 && second.next_attempt_at - again <= 5000 + 200,
          `second delay ${second.next_attempt_at - again}`,
        );
        await dueNow(ctx);
        await ctx.deps.outbox.kick();
        assert.equal((await message(ctx, id)).status, 'sent', JSON.stringify(spec));
        assert.equal(fake.deliveredSends().length, 1);
      }
    });

    it('should retry when the connection drops', async () => {
      const { id } = await queue(ctx, conversationId, 'over a flaky network');
      fake.hangSends(true);
      const pass = ctx.deps.outbox.kick();
      await fake.waitForCalls((c) => c.params.message !== undefined);
      fake.hangSends(false);
      await pass;
      assert.equal((await outboxOf(ctx, id)).state, 'pending');
      assert.match((await outboxOf(ctx, id)).last_error!, /cannot reach Meta/);
      await dueNow(ctx);
      await ctx.deps.outbox.kick();
      assert.equal((await message(ctx, id)).status, 'sent');
    });

    it(`should give up after ${MAX_SEND_ATTEMPTS} transient failures with a visible reason`, async () => {
      fake.failAllSends({ code: 2 });
      const { id } = await queue(ctx, conversationId, 'never goes');
      for (let i = 0; i < MAX_SEND_ATTEMPTS + 2; i++) {
        await dueNow(ctx);
        await ctx.deps.outbox.kick();
      }
      assert.equal(fake.sends().length, MAX_SEND_ATTEMPTS);
      const m = await message(ctx, id);
      assert.deepEqual([m.status, m.error_code], ['failed', 'meta-unavailable']);
    });

    const finals: [string, { code: number; subcode?: number; message?: string }, string][] = [
      ['551', { code: 551 }, 'person-unavailable'],
      ['551/1545041', { code: 551, subcode: 1545041 }, 'person-unavailable'],
      ['200/1545041', { code: 200, subcode: 1545041 }, 'person-unavailable'],
      ['10/2018108', { code: 10, subcode: 2018108 }, 'person-unavailable'],
      ['10/2018278', { code: 10, subcode: 2018278 }, 'outside-messaging-window'],
      ['100/2018001', { code: 100, subcode: 2018001, message: '(#100) No matching user found' }, 'meta-100'],
      ['100', { code: 100, message: '(#100) Param recipient[id] must be a valid ID string' }, 'meta-100'],
      ['10', { code: 10 }, 'meta-10'],
    ];
    for (const [name, spec, code] of finals) {
      it(`should fail ${name} for good as ${code}, without retrying`, async () => {
        fake.failSends(1, spec);
        const { id } = await queue(ctx, conversationId, `error ${name}`);
        await ctx.deps.outbox.kick();
        await dueNow(ctx);
        await ctx.deps.outbox.kick();
        assert.equal(fake.sends().length, 1);
        const m = await message(ctx, id);
        assert.deepEqual([m.status, m.error_code], ['failed', code]);
        assert.equal((await outboxOf(ctx, id)).state, 'failed');
        if (spec.message) assert.equal(m.error_message, spec.message);
      });
    }
  });
});
