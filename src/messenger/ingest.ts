// Stores the events of one webhook body, idempotently: Meta retries and batches, so the same `mid`
// (or, for events without one, the same natural key) is applied once. Everything a body carries is
// written in the caller's single transaction; network work (profiles, attachment bytes) is queued
// as jobs in that same transaction. See PROTOCOL.md §A.
//
// This file holds what a transaction shares (thread lookups, the plain messages collected for one
// INSERT, pending writes) and sends each event to its handler: ingest-messages.ts for messages,
// echoes and postbacks, ingest-receipts.ts for watermarks, reactions, edits and referrals.
import type { Queryable } from '../core/db';
import { log } from '../core/log';
import { enqueueJobs, type NewJob } from '../core/queue';
import { createThread, createThreads, findThread, threadKey, type Thread } from '../inbox/threads';
import { echo, message, plainMessage, postback } from './ingest-messages';
import { delivery, edit, reaction, read, referral } from './ingest-receipts';
import { PlainMessages, type PlainMessage } from './plain-messages';
import { flattenEvents, usableAttachments, type MessagingEvent, type WebhookBody } from './webhook-events';

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
    readonly db: Queryable,
    readonly ownAppId?: string,
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
        if (psid) keys.set(threadKey(pageId, psid), { pageId, psid });
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
      for (const k of chunk) this.shared.absent.add(threadKey(k.pageId, k.psid));
      for (const r of rows) {
        const key = threadKey(r.page_id, r.psid);
        this.shared.absent.delete(key);
        this.shared.threads.set(key, { contactId: r.contact_id, conversationId: r.conversation_id });
      }
    }
  }

  /** The sender's thread, if they have written before (looked up once per transaction). */
  async find(pageId: string, psid: string): Promise<Thread | undefined> {
    const key = threadKey(pageId, psid);
    const known =
      this.shared.threads.get(key) ?? (this.shared.absent.has(key) ? undefined : await findThread(this.db, pageId, psid));
    if (known) this.shared.threads.set(key, known);
    return known;
  }

  /** The sender's thread, created (and their profile lookup queued) if they are new. */
  async ensure(pageId: string, psid: string, at: number): Promise<Thread> {
    const known = await this.find(pageId, psid);
    if (known) return known;
    const thread = await createThread(this.db, pageId, psid, at);
    this.shared.threads.set(threadKey(pageId, psid), thread);
    await this.queue(profileLookup(thread.contactId));
    return thread;
  }

  /** A write nothing needs to wait for (a conversation touch); settled before the commit. */
  later(write: Promise<unknown>): void {
    this.pending.push(write);
  }

  /** Waits for the writes issued without waiting; a failure among them fails the transaction. */
  async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }

  /** A plain message for the batch's one INSERT (plain-messages.ts). */
  collect(row: PlainMessage): void {
    this.shared.plain.add(row);
  }

  /** After the last body of the transaction: writes the plain messages still collected. */
  async finish(): Promise<void> {
    await this.flushPlain();
  }

  /** Writes the plain messages collected so far; first the threads of the new people among them. */
  private async flushPlain(): Promise<void> {
    const newcomers = this.shared.plain.newcomers();
    if (newcomers.length > 0) {
      const created = await createThreads(this.db, newcomers);
      for (const [key, thread] of created) this.shared.threads.set(key, thread);
      await enqueueJobs(
        this.db,
        [...created.values()].map((t) => profileLookup(t.contactId)),
      );
      for (const n of newcomers) n.result.jobs++;
    }
    await this.shared.plain.flush(this.db, (pageId, psid) => this.shared.threads.get(threadKey(pageId, psid))!.conversationId);
  }

  async body(body: WebhookBody): Promise<IngestResult> {
    for (const { pageId, event } of flattenEvents(body)) await this.event(pageId, event);
    await this.settle();
    return this.result;
  }

  private async event(pageId: string, e: MessagingEvent): Promise<void> {
    const at = typeof e.timestamp === 'number' ? e.timestamp : Date.now();
    if (e.message && !e.message.is_echo && e.message.mid && e.sender?.id && usableAttachments(e.message).length === 0)
      return plainMessage(this, pageId, e.sender.id, e.message.mid, e.message, at);
    // Anything else may depend on the messages collected so far (a reaction to one, an edit of one).
    await this.flushPlain();
    if (e.message?.is_echo) return echo(this, pageId, e.recipient?.id, e.message, at);
    const psid = e.sender?.id;
    if (!psid) return this.skip('event without sender.id');
    if (e.message) return message(this, pageId, psid, e.message, at);
    if (e.postback) return postback(this, pageId, psid, e.postback, at);
    if (e.read) return read(this, pageId, psid, e.read.watermark);
    if (e.delivery) return delivery(this, pageId, psid, e.delivery);
    if (e.reaction) return reaction(this, pageId, psid, e.reaction, at);
    if (e.referral) return referral(this, pageId, psid, e.referral, at);
    if (e.message_edit) return edit(this, pageId, psid, e.message_edit, at);
    const kind = Object.keys(e).filter((k) => !['sender', 'recipient', 'timestamp'].includes(k));
    return this.skip(`unhandled event kind ${kind.join(',') || 'none'}`);
  }

  /** An event we cannot use: counted and logged, never an error (Meta would retry it forever). */
  skip(reason: string): void {
    this.result.skipped++;
    log.info('webhook event skipped', { reason });
  }

  /** Remembers a natural key; false when it was seen before (a retry). */
  async firstTime(key: string): Promise<boolean> {
    const { changes } = await this.db.run('INSERT OR IGNORE INTO webhook_receipts (key, received_at) VALUES (?, ?)', [
      key,
      Date.now(),
    ]);
    if (changes === 0) this.result.duplicates++;
    return changes > 0;
  }

  /** A job (a profile lookup, a download) in this transaction: it runs only if the events commit. */
  async queue(job: NewJob): Promise<void> {
    await enqueueJobs(this.db, [job]);
    this.result.jobs++;
  }
}

/** A new person: their display name is looked up after the answer to Meta (profile-job.ts). */
function profileLookup(contactId: number): NewJob {
  return { kind: 'messenger.profile', payload: { contactId }, dedupeKey: `profile:${contactId}` };
}
