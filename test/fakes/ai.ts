// Fakes of the OpenAI and Anthropic HTTP APIs as real local HTTP servers, so the real `openai` and
// `@anthropic-ai/sdk` clients (and their retry, timeout and error handling) are exercised.
// Shapes follow docs/ai.md: Chat Completions, Responses, Messages and each provider's error format.
/* eslint-disable @typescript-eslint/no-explicit-any -- request bodies are arbitrary JSON from the client; `any` keeps the fake and its tests short. */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAnswer =
  | { text: string; delayMs?: number; inputTokens?: number; outputTokens?: number } // a normal answer whose assistant text is `text`
  | { status: number; message?: string; retryAfterMs?: number; delayMs?: number } // an HTTP error in the provider's own error format
  | { hang: true }; // never answers (until close); for timeouts

export interface RecordedAiRequest {
  method: string;
  path: string; // without query, e.g. '/v1/chat/completions'
  headers: Record<string, string | string[] | undefined>;
  body: any; // parsed JSON (the raw text when it was not JSON; undefined when empty)
}

export interface AiFake {
  /** OpenAI: 'http://127.0.0.1:PORT/v1' (what OPENAI_BASE_URL would be); Anthropic: 'http://127.0.0.1:PORT' (no /v1) */
  url: string;
  requests: RecordedAiRequest[];
  /** Answers to give, in order; once used up, `fallback` answers every further request. */
  script(...answers: FakeAnswer[]): void;
  fallback: FakeAnswer;
  /** Resolves when `n` requests have arrived in total (with a timeout error after `ms`, default 10 s). */
  waitForRequests(n: number, ms?: number): Promise<void>;
  /** clears requests and script, restores the default fallback */
  reset(): void;
  /** ends hanging requests too */
  close(): Promise<void>;
}

export interface AiFakeOptions {
  /** when set, requests must carry this key (else any key, or none, is accepted) */
  apiKey?: string;
}

export const DEFAULT_FAKE_ANSWER_TEXT = '{"reply":"Hello from the fake","needs_person":false,"reason":""}';
const defaultFallback = (): FakeAnswer => ({ text: DEFAULT_FAKE_ANSWER_TEXT });

/**
 * anthropic-version values the Anthropic fake accepts: the long-standing one, and the one @anthropic-ai/sdk 1.x
 * sends (docs/ai.md, Anthropic Messages).
 */
export const ANTHROPIC_VERSIONS = ['2023-06-01', '2026-10-21'];

let idCounter = 0; // module-wide, so ids stay unique across fakes and resets
const nextId = (prefix: string) =>
  `${prefix}${(++idCounter).toString().padStart(6, '0')}${crypto.randomBytes(4).toString('hex')}`;

/** Text of a content value: a string, a list of parts/blocks/messages, or an object with `text` or `content`. */
function textOf(value: any): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).filter(Boolean).join('\n');
  if (typeof value === 'object') {
    if (typeof value.text === 'string') return value.text;
    if ('content' in value) return textOf(value.content);
  }
  return '';
}

/**
 * The assistant-visible text of a request: for OpenAI chat the messages' contents joined, for Responses the
 * instructions + input, for Anthropic the system + messages. Handy for asserting what went into a prompt.
 */
export function promptText(req: RecordedAiRequest): string {
  const body = typeof req.body === 'object' && req.body !== null ? req.body : {};
  let parts: string[];
  if (req.path.endsWith('/chat/completions')) parts = [textOf(body.messages)];
  else if (req.path.endsWith('/responses')) parts = [textOf(body.instructions), textOf(body.input)];
  else parts = [textOf(body.system), textOf(body.messages)];
  return parts.filter(Boolean).join('\n');
}

const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

interface Answered {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** answers at once (an error, a model list…), or 'scripted' to let the script or fallback answer */
type Route = (call: RecordedAiRequest, requestId: string) => Answered | 'scripted';

interface ProviderSpec {
  /** an error in the provider's wire format */
  error(status: number, requestId: string, message?: string): Answered;
  /** header carrying the request id on every response */
  requestIdHeader: string;
  route: Route;
  /** the success body for a scripted text answer */
  success(call: RecordedAiRequest, text: string, usage: { input: number; output: number }): unknown;
}

async function startAiFake(provider: ProviderSpec, urlSuffix: string): Promise<AiFake> {
  const queue: FakeAnswer[] = [];
  const hung = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  const fake: AiFake = {
    url: '',
    requests: [],
    fallback: defaultFallback(),
    script: (...answers) => {
      queue.push(...answers);
    },
    waitForRequests: (n, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (fake.requests.length < n) return false;
          cleanup();
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`AI fake: expected ${n} request(s) within ${ms} ms, got ${fake.requests.length}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const waiter = () => void check();
        if (!check()) waiters.add(waiter);
      }),
    reset: () => {
      fake.requests.length = 0;
      queue.length = 0;
      fake.fallback = defaultFallback();
    },
    close: async () => {
      for (const res of hung) res.destroy();
      hung.clear();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const send = (res: http.ServerResponse, requestId: string, answer: Answered) => {
    if (res.destroyed || res.writableEnded) return; // the client gave up (timeout, abort)
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      [provider.requestIdHeader]: requestId,
      ...answer.headers,
    });
    res.end(payload);
  };

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const call: RecordedAiRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://x').pathname,
      headers: req.headers,
      body,
    };
    const requestId = nextId('req_fake_');
    fake.requests.push(call); // recorded before any answer, error answers included
    for (const w of [...waiters]) w();

    const routed = provider.route(call, requestId);
    if (routed !== 'scripted') return send(res, requestId, routed);

    const answer = queue.shift() ?? fake.fallback;
    if ('hang' in answer) {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    const reply = () => {
      if ('status' in answer) {
        const error = provider.error(answer.status, requestId, answer.message);
        if (answer.retryAfterMs !== undefined)
          error.headers = { ...error.headers, 'retry-after-ms': String(answer.retryAfterMs) };
        return send(res, requestId, error);
      }
      const usage = {
        input: answer.inputTokens ?? approxTokens(promptText(call)),
        output: answer.outputTokens ?? approxTokens(answer.text),
      };
      send(res, requestId, { status: 200, body: provider.success(call, answer.text, usage) });
    };
    if (answer.delayMs) later(answer.delayMs, reply);
    else reply();
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`AI fake crashed: ${err.stack ?? err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${urlSuffix}`;
  return fake;
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bearer = (headers: RecordedAiRequest['headers']) => /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ''))?.[1];
const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------------------------------------------
// OpenAI: POST /v1/chat/completions, POST /v1/responses, GET /v1/models.
// Error body {"error":{"message","type","param","code"}}, header x-request-id.

function openAiErrorKind(status: number): { type: string; code: string | null; message: string } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' };
  if (status === 403)
    return { type: 'invalid_request_error', code: null, message: 'You are not allowed to sample from this model.' };
  if (status === 404)
    return {
      type: 'invalid_request_error',
      code: 'model_not_found',
      message: 'The model does not exist or you do not have access to it.',
    };
  if (status === 429)
    return { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again later.' };
  if (status >= 500)
    return {
      type: 'server_error',
      code: null,
      message: 'The server had an error while processing your request. Sorry about that!',
    };
  return { type: 'invalid_request_error', code: null, message: 'Invalid request.' };
}

export function startOpenAiFake(options: AiFakeOptions = {}): Promise<AiFake> {
  const error = (status: number, message?: string, extra: Record<string, unknown> = {}): Answered => {
    const kind = openAiErrorKind(status);
    return {
      status,
      body: { error: { message: message ?? kind.message, type: kind.type, param: null, code: kind.code, ...extra } },
    };
  };
  const route: Route = (call) => {
    const given = bearer(call.headers);
    if (options.apiKey !== undefined && given !== options.apiKey) {
      return given
        ? error(
            401,
            `Incorrect API key provided: ${given.slice(0, 3)}***${given.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          )
        : error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            { code: null },
          );
    }
    const endpoint = `${call.method} ${call.path}`;
    if (endpoint === 'GET /v1/models') {
      const created = nowSeconds();
      return {
        status: 200,
        body: {
          object: 'list',
          data: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-5-mini'].map((id) => ({ id, object: 'model', created, owned_by: 'system' })),
        },
      };
    }
    if (endpoint !== 'POST /v1/chat/completions' && endpoint !== 'POST /v1/responses') {
      return error(404, `Invalid URL (${call.method} ${call.path})`, { code: null });
    }
    const b = call.body;
    if (!isObject(b)) return error(400, 'We could not parse the JSON body of your request.');
    if (typeof b.model !== 'string' || b.model === '')
      return error(400, 'you must provide a model parameter', { param: 'model' });
    if (call.path === '/v1/chat/completions' && (!Array.isArray(b.messages) || b.messages.length === 0)) {
      return error(400, "Invalid 'messages': expected a non-empty array.", { param: 'messages' });
    }
    if (b.stream) return error(400, 'The AI fake does not stream; call without stream: true.', { param: 'stream' });
    return 'scripted'; // the validation errors above leave the script untouched: a real server never reaches the model
  };
  const success = (call: RecordedAiRequest, text: string, usage: { input: number; output: number }) => {
    const b = call.body;
    if (call.path === '/v1/responses') {
      return {
        id: nextId('resp_fake_'),
        object: 'response',
        created_at: nowSeconds(),
        status: 'completed',
        error: null,
        incomplete_details: null,
        instructions: b.instructions ?? null,
        max_output_tokens: b.max_output_tokens ?? null,
        model: b.model,
        output: [
          {
            type: 'message',
            id: nextId('msg_fake_'),
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        parallel_tool_calls: true,
        temperature: b.temperature ?? 1,
        tool_choice: 'auto',
        tools: [],
        top_p: b.top_p ?? 1,
        usage: {
          input_tokens: usage.input,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: usage.output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: usage.input + usage.output,
        },
      };
    }
    return {
      id: nextId('chatcmpl-fake'),
      object: 'chat.completion',
      created: nowSeconds(),
      model: b.model,
      choices: [
        { index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null },
      ],
      usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
    };
  };
  return startAiFake(
    { error: (status, _requestId, message) => error(status, message), requestIdHeader: 'x-request-id', route, success },
    '/v1',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Anthropic: POST /v1/messages (and GET /v1/models).
// Error body {"type":"error","error":{"type","message"},"request_id"}, header request-id.

const ANTHROPIC_ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API.' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'Not found.' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timed out.' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

function anthropicErrorKind(status: number): { type: string; message: string } {
  return ANTHROPIC_ERRORS[status] ?? (status >= 500 ? ANTHROPIC_ERRORS[500] : ANTHROPIC_ERRORS[400]);
}

export function startAnthropicFake(options: AiFakeOptions = {}): Promise<AiFake> {
  const error = (status: number, requestId: string, message?: string): Answered => {
    const kind = anthropicErrorKind(status);
    return {
      status,
      body: { type: 'error', error: { type: kind.type, message: message ?? kind.message }, request_id: requestId },
    };
  };
  const route: Route = (call, requestId) => {
    const fail = (status: number, message: string) => error(status, requestId, message);
    if (options.apiKey !== undefined) {
      // x-api-key is the documented header (it wins when both are sent); SDK 1.x sends `Authorization: Bearer <key>`.
      const xApiKey = call.headers['x-api-key'];
      const key = typeof xApiKey === 'string' ? xApiKey : bearer(call.headers);
      if (key !== options.apiKey) return fail(401, key ? 'invalid x-api-key' : 'x-api-key header is required');
    }
    const version = call.headers['anthropic-version'];
    if (version === undefined) return fail(400, 'anthropic-version: header is required');
    if (typeof version !== 'string' || !ANTHROPIC_VERSIONS.includes(version)) {
      return fail(400, `anthropic-version: "${String(version)}" is not a valid version`);
    }
    const endpoint = `${call.method} ${call.path}`;
    if (endpoint === 'GET /v1/models') {
      const ids = ['claude-haiku-4-5', 'claude-sonnet-4-5'];
      return {
        status: 200,
        body: {
          data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-10-01T00:00:00Z' })),
          has_more: false,
          first_id: ids[0],
          last_id: ids[ids.length - 1],
        },
      };
    }
    if (endpoint !== 'POST /v1/messages') return fail(404, 'Not found');
    const b = call.body;
    if (!isObject(b)) return fail(400, 'There was an error parsing the body of your request.');
    if (typeof b.model !== 'string' || b.model === '') return fail(400, 'model: Field required');
    if (typeof b.max_tokens !== 'number') return fail(400, 'max_tokens: Field required');
    if (!Array.isArray(b.messages)) return fail(400, 'messages: Field required');
    if (version === '2023-06-01') {
      if (b.messages.some((m: any) => m?.role === 'system')) {
        return fail(
          400,
          'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
        );
      }
    } else {
      const sampling = ['temperature', 'top_p', 'top_k'].find((k) => k in b);
      if (sampling) return fail(400, `${sampling}: Extra inputs are not permitted`); // removed in 2026-10-21
    }
    if (b.stream) return fail(400, 'The AI fake does not stream; call without stream: true.');
    return 'scripted'; // the validation errors above leave the script untouched: a real server never reaches the model
  };
  const success = (call: RecordedAiRequest, text: string, usage: { input: number; output: number }) => ({
    id: nextId('msg_fake_'),
    type: 'message',
    role: 'assistant',
    model: call.body.model,
    content: [{ type: 'text', text, citations: null }],
    container: null,
    stop_reason: 'end_turn',
    stop_sequence: null,
    stop_details: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  });
  return startAiFake({ error, requestIdHeader: 'request-id', route, success }, '');
}
