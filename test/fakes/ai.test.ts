import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { OpenAI } from 'openai';
import { DEFAULT_FAKE_ANSWER_TEXT, promptText, startAnthropicFake, startOpenAiFake, type AiFake } from './ai';

const OPENAI_KEY = 'sk-test-fake-openai-key';
const ANTHROPIC_KEY = 'sk-ant-test-fake-key';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('fake OpenAI API (real openai SDK)', () => {
  let fake: AiFake;
  const client = (opts: { maxRetries?: number; timeout?: number; apiKey?: string } = {}) =>
    new OpenAI({ apiKey: opts.apiKey ?? OPENAI_KEY, baseURL: fake.url, maxRetries: opts.maxRetries ?? 0, timeout: opts.timeout });

  beforeEach(async () => {
    fake = await startOpenAiFake({ apiKey: OPENAI_KEY });
  });
  afterEach(() => fake.close());

  it('should answer chat.completions.create with the scripted text and record the request', async () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    fake.script({ text: 'Hi there!', inputTokens: 12, outputTokens: 3 });
    const res = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You answer for Acme.' },
        { role: 'user', content: 'Hello?' },
      ],
      max_completion_tokens: 200,
    });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, 'gpt-4o-mini');
    assert.equal(res.choices[0].message.content, 'Hi there!');
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.deepEqual(res.usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    assert.equal(fake.requests.length, 1);
    const [req] = fake.requests;
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.equal(req.headers['x-stainless-retry-count'], '0');
    assert.equal(req.body.max_completion_tokens, 200);
    assert.equal(promptText(req), 'You answer for Acme.\nHello?');
  });

  it('should answer responses.create so that the SDK computes output_text, with default token counts', async () => {
    const res = await client().responses.create({
      model: 'gpt-4.1-mini',
      instructions: 'Be brief.',
      input: 'What is open today?',
    });
    assert.equal(res.output_text, DEFAULT_FAKE_ANSWER_TEXT);
    assert.equal(res.status, 'completed');
    assert.equal(fake.requests[0].path, '/v1/responses');
    assert.equal(promptText(fake.requests[0]), 'Be brief.\nWhat is open today?');
    assert.ok(res.usage);
    assert.equal(res.usage.input_tokens, Math.ceil('Be brief.\nWhat is open today?'.length / 4));
    assert.equal(res.usage.output_tokens, Math.ceil(DEFAULT_FAKE_ANSWER_TEXT.length / 4));
    assert.equal(res.usage.total_tokens, res.usage.input_tokens + res.usage.output_tokens);
  });

  it('should list models and refuse a wrong key with AuthenticationError (recorded too)', async () => {
    const models = await client().models.list();
    assert.ok(models.data.some((m) => m.id === 'gpt-4o-mini'));
    const err = await rejection(
      client({ apiKey: 'sk-wrong' }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
    assert.equal(err.status, 401);
    assert.equal((err.error as { code?: string }).code, 'invalid_api_key');
    assert.equal(fake.requests.length, 2);
  });

  it('should retry a scripted 429 (retry-after-ms) and then succeed, with two recorded requests', async () => {
    fake.script({ status: 429, retryAfterMs: 1 }, { text: 'second time lucky' });
    const res = await client({ maxRetries: 1 }).chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(res.choices[0].message.content, 'second time lucky');
    assert.deepEqual(
      fake.requests.map((r) => r.headers['x-stainless-retry-count']),
      ['0', '1'],
    );
  });

  it('should surface errors as the SDK classes with status, body and request id', async () => {
    fake.script({ status: 429, message: 'You exceeded your current quota.' }, { status: 500 });
    const limited = await rejection(client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a' }] }));
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited));
    assert.equal(limited.status, 429);
    assert.match(limited.message, /You exceeded your current quota\./);
    const broken = await rejection(client().responses.create({ model: 'm', input: 'b' }));
    assert.ok(broken instanceof OpenAI.InternalServerError, String(broken));
    assert.equal(broken.status, 500);
    assert.equal((broken.error as { type?: string }).type, 'server_error');
    assert.match(String(broken.requestID), /^req_fake_/);
    // once the script is used up the fallback answers
    const res = await client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'c' }] });
    assert.equal(res.choices[0].message.content, DEFAULT_FAKE_ANSWER_TEXT);
  });

  it('should hang until the SDK times out, and let waitForRequests see the hanging request', async () => {
    fake.fallback = { hang: true };
    const call = rejection(
      client({ timeout: 200 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    );
    await fake.waitForRequests(1, 1000);
    const err = await call;
    assert.ok(err instanceof OpenAI.APIConnectionTimeoutError, String(err));
    await assert.rejects(fake.waitForRequests(2, 30), /expected 2 request\(s\) within 30 ms, got 1/);
    fake.reset();
    assert.equal(fake.requests.length, 0);
    assert.deepEqual(fake.fallback, { text: DEFAULT_FAKE_ANSWER_TEXT });
  });

  it('should honour delayMs', async () => {
    fake.script({ text: 'slow', delayMs: 80 });
    const started = Date.now();
    const res = await client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.choices[0].message.content, 'slow');
    assert.ok(Date.now() - started >= 70);
  });
});

describe('fake Anthropic API (real @anthropic-ai/sdk)', () => {
  let fake: AiFake;
  const client = (opts: { maxRetries?: number; timeout?: number; apiKey?: string } = {}) =>
    new Anthropic({
      apiKey: opts.apiKey ?? ANTHROPIC_KEY,
      baseURL: fake.url,
      maxRetries: opts.maxRetries ?? 0,
      timeout: opts.timeout,
    });
  const ask = (c: Anthropic, text = 'Hello?') =>
    c.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      system: 'You answer for Acme.',
      messages: [{ role: 'user', content: text }],
    });

  beforeEach(async () => {
    fake = await startAnthropicFake({ apiKey: ANTHROPIC_KEY });
  });
  afterEach(() => fake.close());

  it('should answer messages.create with the scripted text and record the request', async () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    fake.script({ text: 'Hi from Claude', outputTokens: 4 });
    const res = await ask(client());
    assert.equal(res.type, 'message');
    assert.equal(res.role, 'assistant');
    assert.equal(res.model, 'claude-haiku-4-5');
    assert.deepEqual(res.content, [{ type: 'text', text: 'Hi from Claude', citations: null }]);
    assert.equal(res.stop_reason, 'end_turn');
    assert.equal(res.usage.output_tokens, 4);
    assert.equal(res.usage.input_tokens, Math.ceil('You answer for Acme.\nHello?'.length / 4));
    const [req] = fake.requests;
    assert.equal(req.path, '/v1/messages');
    assert.equal(req.headers['anthropic-version'], '2026-10-21'); // what SDK 1.x sends
    assert.equal(req.headers.authorization, `Bearer ${ANTHROPIC_KEY}`); // SDK 1.x: Bearer, not x-api-key
    assert.equal(promptText(req), 'You answer for Acme.\nHello?');
  });

  it('should retry a scripted 429 and then succeed, with two recorded requests', async () => {
    fake.script({ status: 429, retryAfterMs: 1 }, { text: 'ok now' });
    const res = await ask(client({ maxRetries: 1 }));
    assert.deepEqual(res.content[0], { type: 'text', text: 'ok now', citations: null });
    assert.deepEqual(
      fake.requests.map((r) => r.headers['x-stainless-retry-count']),
      ['0', '1'],
    );
  });

  it('should surface errors as the SDK classes with status, type and request id', async () => {
    fake.script({ status: 429 }, { status: 529, message: 'Overloaded' }, { status: 500 });
    const limited = await rejection(ask(client()));
    assert.ok(limited instanceof Anthropic.RateLimitError, String(limited));
    assert.equal(limited.status, 429);
    assert.equal(limited.type, 'rate_limit_error');
    assert.match(String(limited.requestID), /^req_fake_/);
    assert.equal((limited.error as { request_id?: string }).request_id, limited.requestID);
    const overloaded = await rejection(ask(client()));
    assert.ok(overloaded instanceof Anthropic.InternalServerError, String(overloaded)); // OverloadedError in SDK 1.x
    assert.equal(overloaded.status, 529);
    assert.equal(overloaded.type, 'overloaded_error');
    const broken = await rejection(ask(client()));
    assert.ok(broken instanceof Anthropic.InternalServerError, String(broken));
    assert.equal(broken.type, 'api_error');
    const denied = await rejection(ask(client({ apiKey: 'sk-ant-wrong' })));
    assert.ok(denied instanceof Anthropic.AuthenticationError, String(denied));
    assert.equal(denied.status, 401);
    assert.equal(fake.requests.length, 4);
  });

  it('should hang until the SDK times out', async () => {
    fake.script({ hang: true });
    const err = await rejection(ask(client({ timeout: 200 })));
    assert.ok(err instanceof Anthropic.APIConnectionTimeoutError, String(err));
    assert.equal(fake.requests.length, 1);
  });

  it('should check anthropic-version, x-api-key and the 2026-10-21 rules on the wire', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${fake.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const body = { model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };
    const noVersion = await post({ 'x-api-key': ANTHROPIC_KEY }, body);
    assert.equal(noVersion.status, 400);
    assert.match(String(noVersion.headers.get('request-id')), /^req_fake_/);
    const errBody = await noVersion.json();
    assert.equal(errBody.type, 'error');
    assert.equal(errBody.error.type, 'invalid_request_error');
    assert.equal(errBody.request_id, noVersion.headers.get('request-id'));
    const old = await post({ 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' }, { ...body, temperature: 0.2 });
    assert.equal(old.status, 200);
    const sampled = await post({ 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2026-10-21' }, { ...body, temperature: 1 });
    assert.equal(sampled.status, 400);
    assert.match((await sampled.json()).error.message, /temperature: Extra inputs are not permitted/);
    const noMax = await post(
      { 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' },
      { ...body, max_tokens: undefined },
    );
    assert.equal(noMax.status, 400);
    const wrongKey = await post({ 'x-api-key': 'nope', 'anthropic-version': '2023-06-01' }, body);
    assert.equal(wrongKey.status, 401);
    assert.equal((await wrongKey.json()).error.type, 'authentication_error');
    assert.equal(fake.requests.length, 5);
  });
});
