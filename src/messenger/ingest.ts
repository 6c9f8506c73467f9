// Stores the events of one webhook body, idempotently: Meta retries and batches, so the same `mid`
// (or, for events without one, the same natural key) is applied once. Everything a body carries is
// written in the caller's single transaction; network work (profiles, attachment bytes) is queued
// as jobs in that same transaction. See PROTOCOL.md §A.
import type { Queryable } from '../core/db';
import { log } from '../core/log';
import { enqueueJob } from '../core/queue';
import { createThread, findThread, preview, touchConversation, touchWindow, type Thread } from '../inbox/threads';
import { parseOutboxMetadata } from './metadata';
import { PlainMessages } from './plain-messages';
import {
  DOWNLOADABLE,
  flattenEvents,
  usableAttachments,
  type IncomingAttachment,
  type IncomingMessage,
  type MessagingEvent,
  type Referral,
  type WebhookBody,
} from './webhook-events';

export type { MessagingEvent, WebhookBody } from './webhook-events';

export interface IngestResult {
  stored: number;
  duplicates: number;
  skipped: number;
  /** For live updates after commit. */
  messages: { conversationId: number; messageId: number; change: 'created' | 'updated' }[];
  conversations: Set<number>;
  jobs: number;
}

/** What the bodies of one transaction share. */
interface Shared {
  /** Threads already looked up in this transaction (the write lock keeps them current). */
  threads: Map<string, Thread>;
  /** Senders the prefetch found no thread for. */
  absent: Set<string>;
  plain: PlainMessages;
}

export class Ingest {
  readonly result: IngestResult = { stored: 0, duplicates: 0, skipped: 0, messages: [], conversations: new Set(), jobs: 0 };

  private shared: Shared = { threads: new Map(), absent: new Set(), plain: new PlainMessages() };
  /** Writes whose result nothing waits for; awaited by settle() before the commit. */
  private pending: Promise<unknown>[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly ownAppId?: string,
  ) {}

  /** An ingest for one more body of the same transaction: own results, shared lookups and writes. */
  forBody(ownAppId?: string): Ingest {
    const next = new Ingest(this.db, ownAppId);
    next.shared = this.shared;
    return next;
  }

  /** Looks up every sender of these bodies in one query instead of one per event. */
  async prefetch(bodies: WebhookBody[]): Promise<void> {
    const keys = new Map<string, { pageId: string; psid: string }>();
    for (const body of bodies) {
      for (const { pageId, event } of flattenEvents(body)) {
        const psid = event.message?.is_echo ? event.recipient?.id : event.sender?.id;
        if (psid) keys.set(`${pageId}:${psid}`, { pageId, psid });
      }
    }
    const list = [...keys.values()];
    for (let i = 0; i < list.length; i += 400) {
      const chunk = list.slice(i, i + 400);
      const rows = await this.db.all<{ page_id: string; psid: string; contact_id: number; conversation_id: number }>(
        `SELECT k.page_id, k.psid, k.id AS contact_id, c.id AS conversation_id FROM contacts k JOIN conversations c ON c.contact_id = k.id
         WHERE ${chunk.map(() => '(k.page_id = ? AND k.psid = ?)').join(' OR ')}`,
        chunk.flatMap((k) => [k.pageId, k.psid]),
      );
      for (const k of chunk) this.shared.absent.add(`${k.pageId}:${k.psid}`);
      for (const r of rows) {
        const key = `${r.page_id}:${r.psid}`;
        this.shared.absent.delete(key);
        this.shared.threads.set(key, { contactId: r.contact_id, conversationId: r.conversation_id, created: false });
      }
    }
  }

  private async find(pageId: string, psid: string): Promise<Thread | undefined> {
    const key = `${pageId}:${psid}`;
    const known =
      this.shared.threads.get(key) ?? (this.shared.absent.has(key) ? undefined : await findThread(this.db, pageId, psid));
    if (known) this.shared.threads.set(key, { ...known, created: false });
    return known && { ...known, created: false };
  }

  private async ensure(pageId: string, psid: string, at: number): Promise<Thread> {
    const known = await this.find(pageId, psid);
    if (known) return known;
    const thread = await createThread(this.db, pageId, psid, at);
    this.shared.threads.set(`${pageId}:${psid}`, thread);
    // A new person: look up their display name, after the answer to Meta.
    await this.queue('messenger.profile', { contactId: thread.contactId }, `profile:${thread.contactId}`);
    return thread;
  }

  private later(write: Promise<unknown>): void {
    this.pending.push(write);
  }

  /** Waits for the writes issued without waiting; a failure among them fails the transaction. */
  async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }

  /** After the last body of the transaction: writes the plain messages still collected. */
  async finish(): Promise<void> {
    await this.shared.plain.flush(this.db);
  }

  async body(body: WebhookBody): Promise<IngestResult> {
    for (const { pageId, event } of flattenEvents(body)) await this.event(pageId, event);
    await this.settle();
    return this.result;
  }

  private async event(pageId: string, e: MessagingEvent): Promise<void> {
    const at = typeof e.timestamp === 'number' ? e.timestamp : Date.now();
    if (e.message && !e.message.is_echo && e.message.mid && e.sender?.id && usableAttachments(e.message).length === 0)
      return this.plainMessage(pageId, e.sender.id, e.message.mid, e.message, at);
    // Anything else may depend on the messages collected so far (a reaction to one, an edit of one).
    await this.shared.plain.flush(this.db);
    if (e.message?.is_echo) return this.echo(pageId, e.recipient?.id, e.message, at);
    const psid = e.sender?.id;
    if (!psid) return this.skip('event without sender.id');
    if (e.message) return this.message(pageId, psid, e.message, at);
    if (e.postback) return this.postback(pageId, psid, e.postback, at);
    if (e.read) return this.read(pageId, psid, e.read.watermark);
    if (e.delivery) return this.delivery(pageId, psid, e.delivery);
    if (e.reaction) return this.reaction(pageId, psid, e.reaction, at);
    if (e.referral) return this.referral(pageId, psid, e.referral, at);
    if (e.message_edit) return this.edit(pageId, psid, e.message_edit, at);
    const kind = Object.keys(e).filter((k) => !['sender', 'recipient', 'timestamp'].includes(k));
    return this.skip(`unhandled event kind ${kind.join(',') || 'none'}`);
  }

  private skip(reason: string): void {
    this.result.skipped++;
    log.info('webhook event skipped', { reason });
  }

  /** Remembers a natural key; false when it was seen before (a retry). */
  private async firstTime(key: string): Promise<boolean> {
    const { changes } = await this.db.run('INSERT OR IGNORE INTO webhook_receipts (key, received_at) VALUES (?, ?)', [
      key,
      Date.now(),
    ]);
    if (changes === 0) this.result.duplicates++;
    return changes > 0;
  }

  private async insertMessage(row: {
    conversationId: number;
    mid: string;
    direction: 'in' | 'out';
    kind?: 'message' | 'postback';
    text: string | null;
    status: string;
    sentBy: string;
    at: number;
    quickReply?: string | null;
    replyTo?: string | null;
    metadata?: string | null;
  }): Promise<number | undefined> {
    const { changes, lastID } = await this.db.run(
      `INSERT INTO messages (conversation_id, mid, direction, kind, text, status, sent_by, quick_reply, reply_to_mid,
         metadata, created_at, received_at, sent_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mid) DO NOTHING`,
      [
        row.conversationId,
        row.mid,
        row.direction,
        row.kind ?? 'message',
        row.text,
        row.status,
        row.sentBy,
        row.quickReply ?? null,
        row.replyTo ?? null,
        row.metadata ?? null,
        row.at,
        Date.now(),
        row.direction === 'out' ? row.at : null,
      ],
    );
    if (changes === 0) {
      this.result.duplicates++;
      return undefined;
    }
    this.result.stored++;
    this.result.conversations.add(row.conversationId);
    this.result.messages.push({ conversationId: row.conversationId, messageId: lastID, change: 'created' });
    return lastID;
  }

  /** Text without attachments: collected and written with the batch's others (plain-messages.ts). */
  private async plainMessage(pageId: string, psid: string, mid: string, m: IncomingMessage, at: number): Promise<void> {
    const thread = await this.ensure(pageId, psid, at);
    this.shared.plain.add({
      result: this.result,
      conversationId: thread.conversationId,
      mid,
      text: m.text ?? null,
      quickReply: m.quick_reply?.payload ?? null,
      replyTo: m.reply_to?.mid ?? null,
      at,
      preview: preview(m.text),
    });
  }

  private async message(pageId: string, psid: string, m: IncomingMessage, at: number): Promise<void> {
    if (!m.mid) return this.skip('message without mid');
    const thread = await this.ensure(pageId, psid, at);
    const attachments = usableAttachments(m);
    const messageId = await this.insertMessage({
      conversationId: thread.conversationId,
      mid: m.mid,
      direction: 'in',
      text: m.text ?? null,
      status: 'received',
      sentBy: 'contact',
      at,
      quickReply: m.quick_reply?.payload,
      replyTo: m.reply_to?.mid,
    });
    if (messageId === undefined) return;
    await this.attachments(messageId, attachments);
    this.later(
      touchConversation(this.db, thread.conversationId, { at, direction: 'in', preview: preview(m.text, attachments[0]?.type) }),
    );
  }

  private async attachments(messageId: number, attachments: IncomingAttachment[]): Promise<void> {
    for (const a of attachments) {
      const type = a.type ?? 'fallback';
      const url = a.payload?.url;
      const downloadable = Boolean(url) && DOWNLOADABLE.has(type);
      const { lastID } = await this.db.run(
        `INSERT INTO attachments (message_id, type, state, source_url, title, sticker_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          messageId,
          type,
          downloadable ? 'pending' : 'unavailable',
          url ?? null,
          a.payload?.title ?? a.title ?? null,
          a.payload?.sticker_id != null ? String(a.payload.sticker_id) : null,
          Date.now(),
        ],
      );
      // The URLs expire (PROTOCOL.md §E): fetch the bytes now, as a job.
      if (downloadable) await this.queue('messenger.attachment', { attachmentId: lastID }, `attachment:${lastID}`);
    }
  }

  private async echo(pageId: string, psid: string | undefined, m: IncomingMessage, at: number): Promise<void> {
    if (!psid || !m.mid) return this.skip('echo without recipient or mid');
    // Our own send: reconcile it with the outbox by the metadata we attached; never store it twice.
    const ours = parseOutboxMetadata(m.metadata);
    if (ours) {
      const { changes } = await this.db.run(
        // The echo's timestamp is the message's time on Meta's clock, which read/delivery
        // watermarks are compared with: prefer it to our own clock when it is earlier.
        `UPDATE messages SET mid = COALESCE(mid, ?), status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END,
           sent_at = MIN(COALESCE(sent_at, ?), ?) WHERE id = ? AND direction = 'out'`,
        [m.mid, at, at, ours.messageId],
      );
      if (changes > 0) {
        // The echo proves this part reached Meta: the sender must not send it again after a crash.
        await this.db.run(
          `UPDATE outbox SET parts_sent = MAX(parts_sent, ?),
             state = CASE WHEN MAX(parts_sent, ?) >= parts_total THEN 'done' ELSE state END WHERE message_id = ?`,
          [ours.part + 1, ours.part + 1, ours.messageId],
        );
        const row = await this.db.get<{ conversation_id: number }>('SELECT conversation_id FROM messages WHERE id = ?', [
          ours.messageId,
        ]);
        if (row) this.result.messages.push({ conversationId: row.conversation_id, messageId: ours.messageId, change: 'updated' });
        this.result.duplicates++;
        return;
      }
    }
    if (await this.db.get('SELECT id FROM messages WHERE mid = ?', [m.mid])) {
      this.result.duplicates++;
      return;
    }
    if (ours || (this.ownAppId && String(m.app_id ?? '') === this.ownAppId)) {
      // Ours, but the message it belonged to is gone (deleted): nothing to store.
      return this.skip('echo of a ChatX message that no longer exists');
    }
    // Sent from Meta's Page inbox or the phone app: keep it, marked as sent outside ChatX.
    const thread = await this.ensure(pageId, psid, at);
    const attachments = usableAttachments(m);
    const messageId = await this.insertMessage({
      conversationId: thread.conversationId,
      mid: m.mid,
      direction: 'out',
      text: m.text ?? null,
      status: 'sent',
      sentBy: 'outside',
      at,
      metadata: m.app_id ? JSON.stringify({ app_id: String(m.app_id) }) : null,
    });
    if (messageId === undefined) return;
    await this.attachments(messageId, attachments);
    this.later(
      touchConversation(this.db, thread.conversationId, { at, direction: 'out', preview: preview(m.text, attachments[0]?.type) }),
    );
  }

  private async postback(pageId: string, psid: string, p: NonNullable<MessagingEvent['postback']>, at: number): Promise<void> {
    const thread = await this.ensure(pageId, psid, at);
    // Older postbacks have no mid; the natural key is who tapped what, when.
    const mid = p.mid ?? `postback:${psid}:${at}:${p.payload ?? ''}`;
    const messageId = await this.insertMessage({
      conversationId: thread.conversationId,
      mid,
      direction: 'in',
      kind: 'postback',
      text: p.title ?? p.payload ?? 'Button tapped',
      status: 'received',
      sentBy: 'contact',
      at,
      metadata: JSON.stringify({ payload: p.payload ?? null }),
    });
    if (messageId === undefined) return;
    if (p.referral) await this.saveReferral(thread.contactId, p.referral);
    this.later(
      touchConversation(this.db, thread.conversationId, { at, direction: 'in', preview: preview(p.title ?? 'Button tapped') }),
    );
  }

  private async read(pageId: string, psid: string, watermark?: number): Promise<void> {
    const thread = await this.find(pageId, psid);
    if (!thread || typeof watermark !== 'number') return this.skip('read for an unknown thread or without watermark');
    // Everything sent at or before the watermark was read; watermarks are idempotent by nature.
    await this.advance(thread.conversationId, 'read', "status IN ('sent', 'delivered') AND COALESCE(sent_at, created_at) <= ?", [
      watermark,
    ]);
  }

  private async delivery(pageId: string, psid: string, d: NonNullable<MessagingEvent['delivery']>): Promise<void> {
    const thread = await this.find(pageId, psid);
    if (!thread) return this.skip('delivery for an unknown thread');
    if (typeof d.watermark === 'number') {
      await this.advance(thread.conversationId, 'delivered', "status = 'sent' AND COALESCE(sent_at, created_at) <= ?", [
        d.watermark,
      ]);
    }
    for (const mid of d.mids ?? []) await this.advance(thread.conversationId, 'delivered', "status = 'sent' AND mid = ?", [mid]);
  }

  private async advance(
    conversationId: number,
    status: 'delivered' | 'read',
    condition: string,
    params: (string | number)[],
  ): Promise<void> {
    const rows = await this.db.all<{ id: number }>(
      `SELECT id FROM messages WHERE conversation_id = ? AND direction = 'out' AND kind = 'message' AND ${condition}`,
      [conversationId, ...params],
    );
    if (rows.length === 0) return;
    await this.db.run(`UPDATE messages SET status = ? WHERE id IN (${rows.map(() => '?').join(',')})`, [
      status,
      ...rows.map((r) => r.id),
    ]);
    for (const r of rows) this.result.messages.push({ conversationId, messageId: r.id, change: 'updated' });
    this.result.stored++;
  }

  private async reaction(pageId: string, psid: string, r: NonNullable<MessagingEvent['reaction']>, at: number): Promise<void> {
    const thread = await this.find(pageId, psid);
    if (!thread || !r.mid) return this.skip('reaction for an unknown thread or message');
    const key = `reaction:${r.mid}:${psid}:`;
    if (!(await this.firstTime(`${key}${at}:${r.action ?? 'react'}`))) return;
    // Out of order (Meta's retries after an outage): an older react/unreact must not undo a newer one.
    const newer = await this.db.get(
      'SELECT 1 FROM webhook_receipts WHERE substr(key, 1, ?) = ? AND CAST(substr(key, ? + 1) AS INTEGER) > ?',
      [key.length, key, key.length, at],
    );
    if (newer) return;
    const emoji = r.action === 'unreact' ? null : (r.emoji ?? r.reaction ?? null);
    const { changes } = await this.db.run('UPDATE messages SET reaction = ? WHERE mid = ? AND conversation_id = ?', [
      emoji,
      r.mid,
      thread.conversationId,
    ]);
    // A reaction re-opens the 24-hour window (PROTOCOL.md §C).
    await touchWindow(this.db, thread.conversationId, at);
    if (changes > 0) {
      const row = await this.db.get<{ id: number }>('SELECT id FROM messages WHERE mid = ?', [r.mid]);
      if (row) this.result.messages.push({ conversationId: thread.conversationId, messageId: row.id, change: 'updated' });
    }
    this.result.stored++;
  }

  private async referral(pageId: string, psid: string, ref: Referral, at: number): Promise<void> {
    if (!(await this.firstTime(`referral:${pageId}:${psid}:${at}`))) return;
    const thread = await this.ensure(pageId, psid, at);
    await this.saveReferral(thread.contactId, ref);
    await touchWindow(this.db, thread.conversationId, at);
    this.result.conversations.add(thread.conversationId);
    this.result.stored++;
  }

  /** The ad or link that brought someone is lead-source data for the CRM. */
  private async saveReferral(contactId: number, ref: Referral): Promise<void> {
    await this.db.run(
      `UPDATE contacts SET referral_ref = COALESCE(?, referral_ref), referral_source = COALESCE(?, referral_source),
         referral_ad_id = COALESCE(?, referral_ad_id), lead_source = COALESCE(lead_source, ?), updated_at = ? WHERE id = ?`,
      [
        ref.ref ?? null,
        ref.source ?? null,
        ref.ad_id ?? null,
        ref.source ? ref.source.toLowerCase() : null,
        Date.now(),
        contactId,
      ],
    );
  }

  private async edit(pageId: string, psid: string, e: NonNullable<MessagingEvent['message_edit']>, at: number): Promise<void> {
    const thread = await this.find(pageId, psid);
    if (!thread || !e.mid) return this.skip('edit for an unknown thread or message');
    if (!(await this.firstTime(`edit:${e.mid}:${e.num_edit ?? at}`))) return;
    const row = await this.db.get<{ id: number; edited_at: number | null }>(
      'SELECT id, edited_at FROM messages WHERE mid = ? AND conversation_id = ?',
      [e.mid, thread.conversationId],
    );
    if (!row) return this.skip('edit of a message we never received');
    // Edits can arrive out of order too: the newest one wins.
    if (row.edited_at && row.edited_at > at) return;
    await this.db.run('UPDATE messages SET text = ?, edited_at = ? WHERE id = ?', [e.text ?? '', at, row.id]);
    this.result.messages.push({ conversationId: thread.conversationId, messageId: row.id, change: 'updated' });
    this.result.stored++;
  }

  private async queue(kind: string, payload: Record<string, unknown>, dedupeKey: string): Promise<void> {
    await enqueueJob(this.db, kind, payload, { dedupeKey });
    this.result.jobs++;
  }
}
