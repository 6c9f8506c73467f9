// What Meta POSTs to ChatX: webhook bodies in Meta's exact shapes (docs/messenger.md, Webhook events), serialised and
// signed the way Meta does it (Webhook signatures), plus the signed_request of the data-deletion callback.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses are arbitrary JSON; `any` keeps the tests that read them short. */
import crypto from 'node:crypto';

export interface MessagingEvent {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  [kind: string]: unknown;
}
export interface PageEntry {
  id: string;
  time: number;
  messaging?: MessagingEvent[];
  standby?: MessagingEvent[];
}
export interface PageBody {
  object: 'page';
  entry: PageEntry[];
}
export interface WebhookAttachment {
  type: string; // image | audio | video | file | sticker | fallback | reel | post | template …
  payload?: Record<string, unknown>; // `fallback` may arrive without a payload
}

let midCounter = 0;
/** A fresh `mid` in Meta's style (unique within the test process). */
export function uniqueMid(prefix = 'm_in'): string {
  midCounter += 1;
  return `${prefix}_${Date.now().toString(36)}_${midCounter}_${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * JSON as Meta's PHP-style encoder writes it: every non-ASCII UTF-16 unit as `\uXXXX` with lowercase hex
 * (so an emoji becomes a surrogate pair of two escapes) and `/` as `\/`. Meta signs these exact bytes.
 */
export function metaJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('metaJson: value is not JSON-serialisable');
  // `/` can only occur inside strings in JSON text, so escaping it everywhere stays valid JSON.
  return json.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\//g, '\\/');
}

/** The `X-Hub-Signature-256` value for these exact body bytes. */
export function signBody(body: string | Buffer, appSecret: string): string {
  return 'sha256=' + crypto.createHmac('sha256', appSecret).update(body).digest('hex');
}

/** The legacy `X-Hub-Signature` (sha1) value. */
export function signBodySha1(body: string | Buffer, appSecret: string): string {
  return 'sha1=' + crypto.createHmac('sha1', appSecret).update(body).digest('hex');
}

interface Base {
  pageId: string;
  psid: string;
  timestamp?: number; // epoch ms; defaults to now
}

function userEvent(b: Base, kind: string, body: Record<string, unknown>): MessagingEvent {
  return { sender: { id: b.psid }, recipient: { id: b.pageId }, timestamp: b.timestamp ?? Date.now(), [kind]: compact(body) };
}

/** Drops undefined keys so the JSON has no `"x": null` Meta would never send. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function textEvent(
  e: Base & { mid: string; text: string; quickReplyPayload?: string; replyToMid?: string; isSelfReply?: boolean },
): MessagingEvent {
  return userEvent(e, 'message', {
    mid: e.mid,
    text: e.text,
    quick_reply: e.quickReplyPayload === undefined ? undefined : { payload: e.quickReplyPayload },
    reply_to: e.replyToMid === undefined ? undefined : compact({ mid: e.replyToMid, is_self_reply: e.isSelfReply }),
  });
}

export function attachmentEvent(e: Base & { mid: string; attachments: WebhookAttachment[]; text?: string }): MessagingEvent {
  return userEvent(e, 'message', { mid: e.mid, text: e.text, attachments: e.attachments });
}

/**
 * A message the Page sent (by ChatX or another app / Meta's inbox): sender = Page, recipient = PSID.
 * Meta sends `app_id` as a JSON number, so a numeric appId string is emitted as a number.
 */
export function echoEvent(
  e: Base & { mid: string; text?: string; attachments?: WebhookAttachment[]; appId: string | number; metadata?: string },
): MessagingEvent {
  const appId =
    typeof e.appId === 'string' && /^\d+$/.test(e.appId) && Number.isSafeInteger(Number(e.appId)) ? Number(e.appId) : e.appId;
  return {
    sender: { id: e.pageId },
    recipient: { id: e.psid },
    timestamp: e.timestamp ?? Date.now(),
    message: compact({
      is_echo: true,
      app_id: appId,
      metadata: e.metadata,
      mid: e.mid,
      text: e.text,
      attachments: e.attachments,
    }),
  };
}

export function readEvent(e: Base & { watermark: number }): MessagingEvent {
  return userEvent(e, 'read', { watermark: e.watermark });
}

export function deliveryEvent(e: Base & { watermark: number; mids?: string[] }): MessagingEvent {
  return userEvent(e, 'delivery', { mids: e.mids, watermark: e.watermark });
}

export function reactionEvent(
  e: Base & { mid: string; reaction?: string; emoji?: string; action: 'react' | 'unreact' },
): MessagingEvent {
  return userEvent(e, 'reaction', { mid: e.mid, action: e.action, emoji: e.emoji, reaction: e.reaction });
}

export function postbackEvent(
  e: Base & { mid: string; title: string; payload: string; referral?: Record<string, unknown> },
): MessagingEvent {
  return userEvent(e, 'postback', { mid: e.mid, title: e.title, payload: e.payload, referral: e.referral });
}

export function referralEvent(
  e: Base & { ref?: string; source: string; adId?: string; adsContextData?: Record<string, unknown> },
): MessagingEvent {
  return userEvent(e, 'referral', {
    ref: e.ref,
    source: e.source,
    type: 'OPEN_THREAD',
    ad_id: e.adId,
    ads_context_data: e.adsContextData,
  });
}

export function editEvent(e: Base & { mid: string; text: string; numEdit: number }): MessagingEvent {
  return userEvent(e, 'message_edit', { mid: e.mid, text: e.text, num_edit: e.numEdit });
}

/** One `entry[]` item; `standby: true` puts the events under `standby[]` (another app owns the thread). */
export function entry(pageId: string, events: MessagingEvent[], opts: { standby?: boolean; time?: number } = {}): PageEntry {
  const e: PageEntry = { id: pageId, time: opts.time ?? Date.now() };
  if (opts.standby) e.standby = events;
  else e.messaging = events;
  return e;
}

export function pageBody(entries: PageEntry[]): PageBody {
  return { object: 'page', entry: entries };
}
export const webhookBody = pageBody;

/** `http://host:port` alone means ChatX's webhook path from the contract. */
function endpoint(appUrl: string, defaultPath: string): string {
  const u = new URL(appUrl);
  if (u.pathname === '/' || u.pathname === '') u.pathname = defaultPath;
  return u.toString();
}

export interface PostWebhookOptions {
  /** null = no signature header; a string = this header value verbatim; undefined = the correct one. */
  signature?: string | null;
  /** also send the legacy `X-Hub-Signature: sha1=…` header */
  sha1?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * POSTs a webhook the way Meta does: `metaJson(body)` signed with the app secret. A string or Buffer body
 * is sent as-is (exact bytes), e.g. to test re-serialisation mistakes. `appUrl` may be the app's base URL.
 */
export async function postWebhook(
  appUrl: string,
  body: unknown,
  appSecret: string,
  opts: PostWebhookOptions = {},
): Promise<{ status: number; text: string }> {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : metaJson(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'facebookexternalua',
    ...opts.headers,
  };
  const signature = opts.signature === undefined ? signBody(bytes, appSecret) : opts.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  if (opts.sha1) headers['x-hub-signature'] = signBodySha1(bytes, appSecret);
  const res = await fetch(endpoint(appUrl, '/webhooks/messenger'), {
    method: 'POST',
    headers,
    body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes),
    signal: opts.signal,
  });
  return { status: res.status, text: await res.text() };
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url'); // Node's base64url has no `=` padding
}

/** Meta's signed_request: `<b64url(HMAC-SHA256(secret, b64urlPayload))>.<b64url(JSON payload)>`. */
export function signedRequest(payload: object, appSecret: string): string {
  const encoded = b64url(JSON.stringify(payload));
  return `${b64url(crypto.createHmac('sha256', appSecret).update(encoded).digest())}.${encoded}`;
}

/** The data-deletion callback as Meta sends it: a form POST with `signed_request`. */
export async function postDataDeletion(
  appUrl: string,
  payload: object,
  appSecret: string,
  opts: { signedRequest?: string } = {},
): Promise<{ status: number; text: string; json?: any }> {
  const form = new URLSearchParams({ signed_request: opts.signedRequest ?? signedRequest(payload, appSecret) });
  const res = await fetch(endpoint(appUrl, '/webhooks/messenger/data-deletion'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'facebookexternalua' },
    body: form.toString(),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}
