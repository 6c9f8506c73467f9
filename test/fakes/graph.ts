// A fake of Meta's Graph API as a real local HTTP server, so ChatX's real `fetch` calls are exercised.
// Shapes follow docs/messenger.md: Send API, Profiles, Received attachments and Data-deletion callback (ids_for_pages).
/* eslint-disable @typescript-eslint/no-explicit-any -- Graph parameters and bodies are arbitrary JSON from the client; `any` keeps the fake and its tests short. */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export * from './messenger-events';

export interface RecordedCall {
  method: string;
  path: string; // without query, e.g. '/v25.0/me/messages'
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  json?: any; // parsed JSON body (or a form-urlencoded body as an object)
  fields?: Record<string, string>; // multipart text fields
  files?: { field: string; filename: string; contentType: string; data: Buffer }[]; // multipart files
  at: number; // Date.now() when received
  /** Graph parameters as Meta reads them: query + body merged, JSON-string params (recipient, message…) parsed. */
  params: Record<string, any>;
  /** access token found in the query, body or Authorization header */
  token?: string;
  /** set once answered (undefined while hanging or when the socket was closed instead) */
  status?: number;
  response?: unknown;
}
export interface GraphErrorSpec {
  status?: number; // default 400
  code: number;
  subcode?: number;
  message?: string;
  type?: string; // default OAuthException
}
export interface UploadedAttachment {
  type: string;
  url?: string;
  file?: { filename: string; contentType: string; data: Buffer };
}
export interface FakeGraph {
  url: string;
  calls: RecordedCall[];
  sends(): RecordedCall[]; // POST …/messages carrying a message (answered or not)
  senderActions(): RecordedCall[]; // POST …/messages with sender_action
  /** sends Meta accepted (200) */
  deliveredSends(): RecordedCall[];
  /** Default for an unknown PSID: {"name": "Customer <last 4 of psid>", "id": psid}. */
  profiles: Map<string, Record<string, unknown> | 'empty' | GraphErrorSpec>;
  page: { id: string; name: string };
  validToken?: string;
  /** ASID → PSIDs of this Page, for GET /:ver/:asid/ids_for_pages (unknown ASID → empty list) */
  idsForPages: Map<string, string[]>;
  /** attachment_id → what was uploaded (message_attachments, or a send with is_reusable) */
  attachments: Map<string, UploadedAttachment>;
  subscribedFields: string[] | undefined;
  failSends(n: number, error: GraphErrorSpec): void;
  failAllSends(error: GraphErrorSpec | undefined): void;
  /** any Graph call matching `match` answers `error` (`times` times; default forever); returns an undo */
  failRequests(match: (call: RecordedCall) => boolean, error: GraphErrorSpec, times?: number): () => void;
  delaySends(ms: number): void;
  hangSends(on: boolean): void;
  serveFile(path: string, body: Buffer, contentType: string, status?: number): string;
  /** A CDN path that answers 302 to `location`. */
  serveRedirect(path: string, location: string): string;
  waitForCalls(match: (call: RecordedCall) => boolean, count?: number, timeoutMs?: number): Promise<RecordedCall[]>;
  waitForSends(count: number, timeoutMs?: number): Promise<RecordedCall[]>;
  reset(): void; // forgets calls and error modes (profiles, files, page stay)
  close(): Promise<void>;
}
export interface FakeGraphOptions {
  validToken?: string;
  pageId?: string;
  pageName?: string;
  /** when set, an appsecret_proof that is present must be HMAC-SHA256(appSecret, token) */
  appSecret?: string;
  /** with appSecret: a Graph call without appsecret_proof is refused, as with "Require App Secret" */
  requireAppSecretProof?: boolean;
  /** token ids_for_pages must carry (`<APP_ID>|<APP_SECRET>`); default: any `<digits>|<secret>` token */
  appAccessToken?: string;
}

const MAX_UPLOAD = 25 * 1024 * 1024; // docs/messenger.md, Send API: sent files up to 25 MB
const TAGS = new Set(['HUMAN_AGENT', 'CUSTOMER_FEEDBACK']);
const RETIRED_TAGS = new Set(['CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'POST_PURCHASE_UPDATE']); // code 100 since 2026-04-27
const SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']);
const ATTACHMENT_TYPES = new Set(['image', 'audio', 'video', 'file', 'template']);
const JSON_PARAMS = new Set(['recipient', 'message', 'reply_to', 'payload']);

let sendCounter = 0; // module-wide, so message ids stay unique across fakes and resets
let attachmentCounter = 0;

const DEFAULT_MESSAGES: Record<string, string> = {
  '2': 'An unexpected error has occurred. Please retry your request later.',
  '4': '(#4) Application request limit reached',
  '10/2018278': '(#10) This message is sent outside of allowed window.',
  '10': '(#10) Application does not have permission for this action',
  '17': '(#17) User request limit reached',
  '32': '(#32) Page request limit reached',
  '100': '(#100) Invalid parameter',
  '190/463': 'Error validating access token: Session has expired',
  '190': 'Invalid OAuth access token - Cannot parse access token',
  '200': '(#200) Requires pages_messaging permission to manage the object',
  '551': "(#551) This person isn't available right now.",
  '613': '(#613) Calls to this api have exceeded the rate limit.',
  '2018218': 'No profile available for this user.',
};

export function graphErrorBody(spec: GraphErrorSpec): { error: Record<string, unknown> } {
  const message =
    spec.message ??
    DEFAULT_MESSAGES[`${spec.code}/${spec.subcode}`] ??
    DEFAULT_MESSAGES[String(spec.code)] ??
    `(#${spec.code}) Fake Graph error`;
  const error: Record<string, unknown> = { message, type: spec.type ?? 'OAuthException', code: spec.code };
  if (spec.subcode !== undefined) error.error_subcode = spec.subcode;
  error.fbtrace_id = 'Afake' + crypto.randomBytes(8).toString('base64url');
  return { error };
}

const param = (message: string, subcode?: number): GraphErrorSpec => ({ code: 100, subcode, message: `(#100) ${message}` });
const unsupported = (method: string, id: string): GraphErrorSpec => ({
  code: 100,
  subcode: 33,
  type: 'GraphMethodException',
  message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
});
const isErrorSpec = (v: unknown): v is GraphErrorSpec =>
  typeof v === 'object' && v !== null && typeof (v as GraphErrorSpec).code === 'number';

/** multipart/form-data as undici's FormData writes it (CRLF, `--boundary`, quoted names with %22/%0A escapes). */
export function parseMultipart(body: Buffer, contentType: string): Pick<RecordedCall, 'fields' | 'files'> {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw new Error('multipart body without boundary');
  const boundary = m[1] ?? m[2];
  const fields: Record<string, string> = {};
  const files: NonNullable<RecordedCall['files']> = [];
  const unescape = (s: string) => s.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(`--${boundary}`);
  if (pos === -1) throw new Error('multipart body without its boundary');
  pos += boundary.length + 2;
  for (;;) {
    if (body.subarray(pos, pos + 2).toString() === '--') break; // closing delimiter
    if (body[pos] === 13 && body[pos + 1] === 10) pos += 2;
    const end = body.indexOf(delimiter, pos);
    if (end === -1) throw new Error('multipart part without a closing boundary');
    const part = body.subarray(pos, end);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd === -1) throw new Error('multipart part without headers');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, headEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const data = Buffer.from(part.subarray(headEnd + 4));
    const disposition = headers['content-disposition'] ?? '';
    const name = unescape(/\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '');
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) {
      files.push({
        field: name,
        filename: unescape(filename),
        contentType: headers['content-type'] ?? 'application/octet-stream',
        data,
      });
    } else {
      fields[name] = data.toString('utf8');
    }
    pos = end + delimiter.length;
  }
  return { fields, files };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeParams(raw: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'access_token' || k === 'appsecret_proof') continue;
    if (JSON_PARAMS.has(k) && typeof v === 'string' && /^\s*[{[]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        /* Meta would reject it; keep the raw string so validation sees it is not an object */
      }
    }
    out[k] = v;
  }
  return out;
}

export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
  const failQueue: GraphErrorSpec[] = [];
  let failAll: GraphErrorSpec | undefined;
  let failRules: { match: (c: RecordedCall) => boolean; error: GraphErrorSpec; left: number }[] = [];
  let delayMs = 0;
  let hanging = false;
  const hung = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const files = new Map<string, { body: Buffer; contentType: string; status: number; location?: string }>();
  const waiters = new Set<() => void>();

  const fake: FakeGraph = {
    url: '',
    calls: [],
    profiles: new Map(),
    page: { id: options.pageId ?? '1029384756102938', name: options.pageName ?? 'ChatX Test Page' },
    validToken: options.validToken,
    idsForPages: new Map(),
    attachments: new Map(),
    subscribedFields: undefined,
    sends: () => fake.calls.filter(isSend),
    senderActions: () => fake.calls.filter((c) => isMessagesCall(c) && c.params.sender_action !== undefined),
    deliveredSends: () => fake.sends().filter((c) => c.status === 200),
    failSends: (n, error) => {
      for (let i = 0; i < n; i++) failQueue.push(error);
    },
    failAllSends: (error) => {
      failAll = error;
    },
    failRequests: (match, error, times = Infinity) => {
      const rule = { match, error, left: times };
      failRules.push(rule);
      return () => {
        failRules = failRules.filter((r) => r !== rule);
      };
    },
    delaySends: (ms) => {
      delayMs = ms;
    },
    hangSends: (on) => {
      hanging = on;
      if (!on) releaseHung();
    },
    serveFile: (path, body, contentType, status = 200) => {
      files.set(new URL(path, 'http://x').pathname, { body, contentType, status });
      return fake.url + path;
    },
    serveRedirect: (path, location) => {
      files.set(new URL(path, 'http://x').pathname, { body: Buffer.alloc(0), contentType: 'text/plain', status: 302, location });
      return fake.url + path;
    },
    waitForCalls: (match, count = 1, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = fake.calls.filter(match);
          if (found.length < count) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `fake Graph: expected ${count} matching call(s) within ${timeoutMs} ms, got ${fake.calls.filter(match).length}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const waiter = () => void check();
        if (!check()) waiters.add(waiter);
      }),
    waitForSends: (count, timeoutMs) => fake.waitForCalls((c) => isSend(c) && c.status !== undefined, count, timeoutMs),
    reset: () => {
      fake.calls.length = 0;
      failQueue.length = 0;
      failAll = undefined;
      failRules = [];
      delayMs = 0;
      hanging = false;
      releaseHung();
    },
    close: async () => {
      releaseHung();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function isMessagesCall(c: RecordedCall): boolean {
    return c.method === 'POST' && /^\/v\d+\.\d+\/[^/]+\/messages$/.test(c.path);
  }

  function isSend(c: RecordedCall): boolean {
    return isMessagesCall(c) && c.params.sender_action === undefined && c.params.message !== undefined;
  }

  function releaseHung(): void {
    for (const res of hung) res.socket?.destroy(); // the client sees the connection drop
    hung.clear();
  }

  function notify(): void {
    for (const w of [...waiters]) w();
  }

  function answer(
    res: http.ServerResponse,
    call: RecordedCall,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.destroyed || res.headersSent) return;
    call.status = status;
    call.response = body;
    const version = /^\/(v\d+\.\d+)\//.exec(call.path)?.[1] ?? 'v25.0';
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'facebook-api-version': version,
      'x-fb-trace-id': crypto.randomBytes(8).toString('base64url'),
      'x-fb-request-id': crypto.randomBytes(12).toString('base64url'),
      ...headers,
    });
    res.end(JSON.stringify(body));
    notify();
  }

  function answerError(res: http.ServerResponse, call: RecordedCall, spec: GraphErrorSpec): void {
    const body = graphErrorBody(spec);
    const headers: Record<string, string> = {};
    if (spec.code === 190)
      headers['www-authenticate'] =
        `OAuth "Facebook Platform" "invalid_request" "${String(body.error.message).replace(/"/g, "'")}"`;
    answer(res, call, spec.status ?? 400, body, headers);
  }

  function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, call: RecordedCall): void {
    const file = req.method === 'GET' || req.method === 'HEAD' ? files.get(call.path) : undefined;
    const status = file?.status ?? 404;
    const body = file ? file.body : Buffer.from('URL signature expired');
    call.status = status;
    res.writeHead(status, {
      'content-type': file ? file.contentType : 'text/plain',
      'content-length': String(body.length),
      ...(file?.location ? { location: file.location } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    notify();
  }

  function checkToken(call: RecordedCall, idsForPages: boolean): GraphErrorSpec | undefined {
    if (idsForPages) {
      const ok = options.appAccessToken ? call.token === options.appAccessToken : /^\d+\|.+/.test(call.token ?? '');
      if (!ok) return { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' };
    } else if (fake.validToken !== undefined && call.token !== fake.validToken) {
      return { code: 190, subcode: 463, message: 'Error validating access token: Session has expired' };
    }
    if (options.appSecret && call.token !== undefined) {
      const proof = call.query.appsecret_proof ?? call.json?.appsecret_proof ?? call.fields?.appsecret_proof;
      const expected = crypto.createHmac('sha256', options.appSecret).update(call.token).digest('hex');
      if (proof === undefined && options.requireAppSecretProof) {
        return {
          code: 100,
          type: 'GraphMethodException',
          message: 'API calls from the server require an appsecret_proof argument',
        };
      }
      if (proof !== undefined && proof !== expected) {
        return { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' };
      }
    }
    return undefined;
  }

  /** Meta's Send API checks, in the order a failing request would meet them. */
  function validateSend(p: Record<string, any>, call: RecordedCall): GraphErrorSpec | undefined {
    const id = p.recipient?.id;
    if (
      typeof p.recipient !== 'object' ||
      p.recipient === null ||
      (typeof id !== 'string' && typeof id !== 'number') ||
      String(id) === ''
    ) {
      return param('The parameter recipient is required');
    }
    if (p.sender_action !== undefined) {
      if (!SENDER_ACTIONS.has(p.sender_action))
        return param('Param sender_action must be one of {TYPING_ON, TYPING_OFF, MARK_SEEN, REACT, UNREACT}');
      if (p.message !== undefined) return param('sender_action cannot be combined with message');
      return undefined;
    }
    const msg = p.message;
    if (typeof msg !== 'object' || msg === null) return param('Must send either message or state');
    if (!['RESPONSE', 'UPDATE', 'MESSAGE_TAG'].includes(p.messaging_type)) {
      return param('param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}');
    }
    if (p.messaging_type === 'MESSAGE_TAG') {
      if (p.tag === undefined) return param('Param tag is required when messaging_type is MESSAGE_TAG');
      if (RETIRED_TAGS.has(p.tag)) return param(`The message tag ${p.tag} is no longer supported`);
      if (!TAGS.has(p.tag)) return param('Param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK}');
    }
    const attachment = msg.attachment;
    if (msg.text === undefined && attachment === undefined && msg.attachments === undefined) {
      return param('Param message must contain text or an attachment');
    }
    if (msg.text !== undefined) {
      if (typeof msg.text !== 'string' || msg.text === '')
        return param('Param message[text] must be a non-empty UTF-8 encoded string');
      if ([...msg.text].length > 2000) return param('Length of param message[text] must be less than or equal to 2000');
    }
    if (msg.metadata !== undefined && String(msg.metadata).length > 1000) {
      return param('Length of param message[metadata] must be less than or equal to 1000');
    }
    if (Array.isArray(msg.quick_replies) && msg.quick_replies.length > 13)
      return param('param message[quick_replies] must have at most 13 items');
    if (attachment !== undefined) return validateAttachment(attachment, call);
    return undefined;
  }

  function validateAttachment(attachment: any, call: RecordedCall): GraphErrorSpec | undefined {
    if (typeof attachment !== 'object' || attachment === null || !ATTACHMENT_TYPES.has(attachment.type)) {
      return param('Param message[attachment][type] must be one of {IMAGE, AUDIO, VIDEO, FILE, TEMPLATE}');
    }
    if (attachment.type === 'template') return undefined;
    const payload = attachment.payload ?? {};
    const file = call.files?.find((f) => f.field === 'filedata');
    if (file) {
      if (file.data.length > MAX_UPLOAD) return param('Attachment size exceeds allowable limit', 2018109);
      if (attachment.type === 'audio' && !file.contentType.startsWith('audio/'))
        return param('Upload attachment failure.', 2018047);
      return undefined;
    }
    if (payload.attachment_id !== undefined) return undefined;
    if (typeof payload.url !== 'string') return param('Upload attachment failure.', 2018047);
    // A URL on this fake must be one it serves, as Meta fetches it before sending.
    if (payload.url.startsWith(fake.url + '/')) {
      const f = files.get(new URL(payload.url).pathname);
      if (!f || f.status !== 200) return param('Failed to fetch the file from the url', 2018008);
    }
    return undefined;
  }

  function remember(attachment: any, call: RecordedCall): string {
    attachmentCounter += 1;
    const id = String(7_000_000_000_000_000 + attachmentCounter);
    const file = call.files?.find((f) => f.field === 'filedata');
    fake.attachments.set(id, {
      type: attachment.type,
      url: attachment.payload?.url,
      file: file && { filename: file.filename, contentType: file.contentType, data: file.data },
    });
    return id;
  }

  function handleSend(res: http.ServerResponse, call: RecordedCall): void {
    const p = call.params;
    const invalid = validateSend(p, call);
    if (invalid) return answerError(res, call, invalid);
    const recipientId = String(p.recipient.id);
    if (p.sender_action !== undefined) return answer(res, call, 200, { recipient_id: recipientId });
    if (hanging) {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    const failure = failQueue.shift() ?? failAll;
    const reply = () => {
      if (failure) return answerError(res, call, failure);
      sendCounter += 1;
      const body: Record<string, unknown> = { recipient_id: recipientId, message_id: `m_fake_${sendCounter}` };
      const attachment = p.message.attachment;
      if (attachment?.payload?.is_reusable === true) body.attachment_id = remember(attachment, call);
      answer(res, call, 200, body);
    };
    if (delayMs > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        reply();
      }, delayMs);
      timers.add(t);
      return;
    }
    reply();
  }

  function handleUpload(res: http.ServerResponse, call: RecordedCall): void {
    const attachment = call.params.message?.attachment;
    const invalid = validateAttachment(attachment, call);
    if (invalid) return answerError(res, call, invalid);
    if (!call.files?.length && typeof attachment.payload?.url !== 'string')
      return answerError(res, call, param('Upload attachment failure.', 2018047));
    answer(res, call, 200, { attachment_id: remember(attachment, call) });
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, call: RecordedCall, segments: string[]): void {
    const method = req.method ?? 'GET';
    const [id, edge, extra] = segments;
    const tokenError = checkToken(call, edge === 'ids_for_pages');
    if (tokenError) return answerError(res, call, tokenError);
    const rule = failRules.find((r) => r.left > 0 && r.match(call));
    if (rule) {
      rule.left -= 1;
      return answerError(res, call, rule.error);
    }
    const isPage = id === 'me' || id === fake.page.id;
    if (id === undefined || extra !== undefined) return answerError(res, call, unsupported(method, id ?? ''));
    if (edge === undefined && method === 'GET') {
      if (isPage) return answer(res, call, 200, { id: fake.page.id, name: fake.page.name });
      if (!/^\d+$/.test(id)) return answerError(res, call, unsupported(method, id));
      const profile = fake.profiles.get(id);
      if (profile === undefined) return answer(res, call, 200, { name: `Customer ${id.slice(-4)}`, id });
      if (profile === 'empty') return answer(res, call, 200, {});
      if (isErrorSpec(profile)) return answerError(res, call, profile);
      return answer(res, call, 200, profile);
    }
    if (edge === 'ids_for_pages' && method === 'GET') {
      const psids = fake.idsForPages.get(id) ?? [];
      return answer(res, call, 200, { data: psids.map((psid) => ({ id: psid, page: { ...fake.page } })) });
    }
    if (isPage && edge === 'messages' && method === 'POST') return handleSend(res, call);
    if (isPage && edge === 'message_attachments' && method === 'POST') return handleUpload(res, call);
    if (isPage && edge === 'subscribed_apps') {
      if (method === 'POST') {
        const f = call.params.subscribed_fields;
        fake.subscribedFields = Array.isArray(f)
          ? f.map(String)
          : String(f ?? '')
              .split(',')
              .filter(Boolean);
        return answer(res, call, 200, { success: true });
      }
      if (method === 'DELETE') {
        fake.subscribedFields = undefined;
        return answer(res, call, 200, { success: true });
      }
      if (method === 'GET') {
        const data = fake.subscribedFields ? [{ name: 'ChatX', id: '1', subscribed_fields: fake.subscribedFields }] : [];
        return answer(res, call, 200, { data });
      }
    }
    answerError(res, call, unsupported(method, id));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake.graph');
    const body = await readBody(req);
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      at,
      params: {},
    };
    fake.calls.push(call);
    const version = /^\/v\d+\.\d+(\/.*)?$/.exec(url.pathname);
    if (!version) return serveStatic(req, res, call);

    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    let bodyParams: Record<string, any> = {};
    try {
      if (contentType.startsWith('multipart/form-data')) {
        Object.assign(call, parseMultipart(body, String(req.headers['content-type'])));
        bodyParams = { ...call.fields };
      } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
        call.json = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
        bodyParams = call.json;
      } else if (body.length > 0) {
        call.json = JSON.parse(body.toString('utf8'));
        if (typeof call.json === 'object' && call.json !== null && !Array.isArray(call.json)) bodyParams = call.json;
      }
    } catch (err) {
      call.params = decodeParams(call.query);
      return answerError(res, call, param(`Invalid request body: ${(err as Error).message}`));
    }
    call.params = decodeParams({ ...call.query, ...bodyParams });
    const auth = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    call.token =
      call.query.access_token ?? (typeof bodyParams.access_token === 'string' ? bodyParams.access_token : undefined) ?? auth?.[1];
    notify(); // a hanging call is observable as soon as it is parsed
    route(req, res, call, (version[1] ?? '').split('/').filter(Boolean).map(decodeURIComponent));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake Graph crashed: ${err.stack ?? err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
