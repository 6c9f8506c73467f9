// The edge of the webhook: a signed body is still only as good as its sender's code, so every field
// the ingest will read is checked here for its type and range, and the body is rebuilt from what
// passed (docs/messenger.md, Webhook events). A field of the wrong type is left out; an event that
// cannot be used without it (a read without a watermark, a reaction without its message) is dropped
// with a reason; events for another Page are dropped too. Nothing here throws, so the webhook answers
// 200 and Meta does not retry what can never be stored. The rebuilt body is flat and bounded, so it
// crosses to the writer thread whatever the nesting of what arrived.
import type { IncomingAttachment, IncomingMessage, MessagingEvent, Referral, WebhookBody } from './events';

/** Message times before Messenger existed, or more than a day ahead of this clock, are not times. */
const EARLIEST = Date.UTC(2004, 0, 1);
const AHEAD_MS = 24 * 3600 * 1000;
const MAX_ENTRIES = 1000;
const MAX_EVENTS = 1000;
const MAX_ATTACHMENTS = 20;

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown, max: number): Loose[] => (Array.isArray(v) ? v.slice(0, max).filter(isObject) : []);

/** A string (or a number, as Meta once sent ids) of at most `max` characters. */
function text(v: unknown, max: number): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string' || v.length === 0) return undefined;
  return v.length > max ? v.slice(0, max) : v;
}

const id = (v: unknown) => text(v, 128);

function time(v: unknown, now: number): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= EARLIEST && v <= now + AHEAD_MS ? Math.floor(v) : undefined;
}

function httpUrl(v: unknown): string | undefined {
  const value = text(v, 4096);
  return value && /^https?:\/\//i.test(value) ? value : undefined;
}

function referral(v: unknown): Referral | undefined {
  if (!isObject(v)) return undefined;
  return { ref: text(v.ref, 500), source: text(v.source, 100), type: text(v.type, 100), ad_id: text(v.ad_id, 100) };
}

function attachment(a: Loose): IncomingAttachment {
  const p = isObject(a.payload) ? a.payload : undefined;
  return {
    type: text(a.type, 32)?.toLowerCase(),
    payload: p ? { url: httpUrl(p.url), title: text(p.title, 500), sticker_id: text(p.sticker_id, 64) } : null,
    title: text(a.title, 500),
  };
}

function message(m: Loose): IncomingMessage {
  return {
    mid: text(m.mid, 512),
    text: typeof m.text === 'string' ? m.text.slice(0, 20_000) : undefined,
    is_echo: m.is_echo === true,
    app_id: text(m.app_id, 64),
    metadata: text(m.metadata, 1000),
    sticker_id: text(m.sticker_id, 64),
    quick_reply: isObject(m.quick_reply) ? { payload: text(m.quick_reply.payload, 1000) } : undefined,
    reply_to: isObject(m.reply_to) ? { mid: text(m.reply_to.mid, 512) } : undefined,
    attachments: list(m.attachments, MAX_ATTACHMENTS).map(attachment),
  };
}

const KNOWN = new Set([
  'sender',
  'recipient',
  'timestamp',
  'seq',
  'message',
  'postback',
  'read',
  'delivery',
  'reaction',
  'referral',
  'message_edit',
]);

/** One event, checked; a string says why it was dropped. */
function event(e: Loose, ownPageId: string | undefined, now: number): MessagingEvent | string {
  const sender = isObject(e.sender) ? id(e.sender.id) : undefined;
  const recipient = isObject(e.recipient) ? id(e.recipient.id) : undefined;
  const out: MessagingEvent = {
    sender: sender ? { id: sender } : undefined,
    recipient: recipient ? { id: recipient } : undefined,
    // A time that is not one becomes the time it arrived: the message is kept, in a sane place.
    timestamp: time(e.timestamp, now) ?? now,
  };
  if (isObject(e.message)) out.message = message(e.message);
  // Whose event it is: the Page sends echoes, the customer everything else.
  const pageSide = out.message?.is_echo ? sender : recipient;
  if (ownPageId && pageSide && pageSide !== ownPageId) return `event for another Page (${pageSide})`;
  if (!sender && isObject(e.sender) && e.sender.user_ref !== undefined)
    return 'event from a plugin guest without a PSID (user_ref)';
  if (isObject(e.postback)) {
    const p = e.postback;
    out.postback = {
      mid: text(p.mid, 512),
      title: text(p.title, 1000),
      payload: text(p.payload, 1000),
      referral: referral(p.referral),
    };
  }
  if (isObject(e.read)) {
    const watermark = time(e.read.watermark, now);
    if (watermark === undefined) return 'read without a valid watermark';
    out.read = { watermark };
  }
  if (isObject(e.delivery)) {
    const mids = Array.isArray(e.delivery.mids) ? e.delivery.mids.slice(0, 1000).map((m) => text(m, 512)) : [];
    out.delivery = { watermark: time(e.delivery.watermark, now), mids: mids.filter((m): m is string => m !== undefined) };
  }
  if (isObject(e.reaction)) {
    const r = e.reaction;
    const mid = text(r.mid, 512);
    if (!mid) return 'reaction without the message it is for';
    out.reaction = {
      mid,
      action: r.action === 'unreact' ? 'unreact' : 'react',
      emoji: text(r.emoji, 32),
      reaction: text(r.reaction, 32),
    };
  }
  if (isObject(e.referral)) out.referral = referral(e.referral);
  if (isObject(e.message_edit)) {
    const mid = text(e.message_edit.mid, 512);
    if (!mid) return 'edit without the message it is for';
    const n = e.message_edit.num_edit;
    out.message_edit = {
      mid,
      text: typeof e.message_edit.text === 'string' ? e.message_edit.text.slice(0, 20_000) : '',
      num_edit: typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined,
    };
  }
  const other = Object.keys(e).filter((k) => !KNOWN.has(k));
  if (other.length) out.other = other.slice(0, 10).map((k) => k.slice(0, 64));
  return out;
}

/**
 * The body rebuilt from what passed the checks, and why anything was dropped. `ownPageId` is this
 * install's Page (undefined while a connected Page's id is not known yet: then every Page's events
 * are taken).
 */
export function cleanBody(
  input: Loose,
  ownPageId: string | undefined,
  now = Date.now(),
): { body: WebhookBody; dropped: string[] } {
  const dropped: string[] = [];
  const entries: NonNullable<WebhookBody['entry']> = [];
  for (const entry of list(input.entry, MAX_ENTRIES)) {
    const pageId = id(entry.id);
    if (!pageId) {
      dropped.push('entry without a Page id');
      continue;
    }
    if (ownPageId && pageId !== ownPageId) {
      dropped.push(`entry for another Page (${pageId})`);
      continue;
    }
    const events = (items: unknown) =>
      list(items, MAX_EVENTS).flatMap((e) => {
        const clean = event(e, ownPageId, now);
        if (typeof clean === 'string') {
          dropped.push(clean);
          return [];
        }
        return [clean];
      });
    entries.push({
      id: pageId,
      time: time(entry.time, now) ?? now,
      messaging: events(entry.messaging),
      standby: events(entry.standby),
    });
  }
  return { body: { object: 'page', entry: entries }, dropped };
}
