// What the ingest reads of Meta's webhook bodies (docs/messenger.md, Webhook events), after the
// edge has checked every field (validate.ts): ids are strings, times are sane epoch milliseconds,
// and what is optional may be missing. Also the shape rules that need no database: flattening a
// body into events, and which incoming attachments are worth keeping.
/** One `messaging[]` or `standby[]` item. */
export interface MessagingEvent {
  sender?: { id: string };
  recipient?: { id: string };
  /** Meta's time of the event, the message time (or the time it arrived, when Meta's was not one). */
  timestamp: number;
  message?: IncomingMessage;
  postback?: { mid?: string; title?: string; payload?: string; referral?: Referral };
  read?: { watermark: number };
  delivery?: { watermark?: number; mids: string[] };
  reaction?: { mid: string; action: 'react' | 'unreact'; emoji?: string; reaction?: string };
  referral?: Referral;
  message_edit?: { mid: string; text: string; num_edit?: number };
  /** The keys of an event of a kind ChatX does not handle (it is logged and skipped). */
  other?: string[];
}

export interface Referral {
  ref?: string;
  source?: string;
  type?: string;
  ad_id?: string;
}

export interface IncomingAttachment {
  type?: string;
  payload?: { url?: string; title?: string; sticker_id?: string } | null;
  title?: string;
}

export interface IncomingMessage {
  mid?: string;
  text?: string;
  is_echo?: boolean;
  app_id?: string;
  metadata?: string;
  sticker_id?: string;
  quick_reply?: { payload?: string };
  reply_to?: { mid?: string };
  attachments?: IncomingAttachment[];
}

export interface WebhookBody {
  object?: string;
  entry?: { id: string; time: number; messaging: MessagingEvent[]; standby: MessagingEvent[] }[];
}

/** Every event of the body with its Page id, sorted by the event timestamp (= the message time). */
export function flattenEvents(body: WebhookBody): { pageId: string; event: MessagingEvent; standby: boolean }[] {
  const all: { pageId: string; event: MessagingEvent; standby: boolean }[] = [];
  for (const entry of body.entry ?? []) {
    for (const event of entry.messaging) all.push({ pageId: entry.id, event, standby: false });
    for (const event of entry.standby) all.push({ pageId: entry.id, event, standby: true });
  }
  // Meta warns that after an outage messages may arrive out of order (docs/messenger.md, Batching, retries, duplicates and order).
  return all.sort((a, b) => a.event.timestamp - b.event.timestamp);
}

/** Attachment types whose URL carries bytes worth downloading (they expire with the URL). */
export const DOWNLOADABLE = new Set(['image', 'audio', 'video', 'file', 'sticker', 'reel', 'ig_reel', 'post', 'ig_post']);

/**
 * The attachments worth keeping. Until Meta's sticker transition ends a sticker arrives twice, as a
 * `sticker` and as an `image` carrying the same sticker_id; keep only the sticker (docs/messenger.md, Webhook events).
 */
export function usableAttachments(m: IncomingMessage): IncomingAttachment[] {
  const list = m.attachments ?? [];
  const stickerIds = new Set(list.filter((a) => a.type === 'sticker').map((a) => String(a.payload?.sticker_id ?? '')));
  if (m.sticker_id != null && !list.some((a) => a.type === 'sticker')) {
    // The older shape: sticker_id on the message and the sticker as an image.
    return list.map((a) =>
      a.type === 'image' ? { ...a, type: 'sticker', payload: { ...a.payload, sticker_id: m.sticker_id } } : a,
    );
  }
  return list.filter(
    (a) => !(a.type === 'image' && a.payload?.sticker_id != null && stickerIds.has(String(a.payload.sticker_id))),
  );
}
