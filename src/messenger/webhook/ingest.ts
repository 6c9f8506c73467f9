// Stores the events of one webhook body, idempotently: Meta retries and batches, so the same `mid`
// (or, for events without one, the same natural key) is applied once (docs/messenger.md, Batching,
// retries, duplicates and order). Everything a body carries is written in the caller's single
// transaction through a ConversationWriter; network work (profiles, attachment bytes) is queued as
// jobs in that same transaction, so it runs only if the events commit.
//
// This file sends each event to its handler (event-handlers.ts) and keeps what the handlers share:
// the body's result, the receipts of events without a mid, and the jobs it queued.
import { log } from '../../core/log';
import { enqueueJobs, type NewJob } from '../../core/queue';
import { emptyOutcome, type Outcome } from '../../conversations/changes';
import type { Thread } from '../../conversations/threads';
import type { ConversationWriter } from '../../conversations/writer';
import {
  delivery,
  echo,
  edit,
  message,
  plainMessage,
  postback,
  reaction,
  read,
  referral,
  type EventContext,
} from './event-handlers';
import { flattenEvents, usableAttachments, type MessagingEvent, type WebhookBody } from './events';
import { firstReceipt } from './receipts';

export type { WebhookBody } from './events';

/** What one body did: its outcome (announced after the commit) plus what was skipped and queued. */
export interface IngestResult extends Outcome {
  skipped: number;
  jobs: number;
}

/** A new person: their display name is looked up after the answer to Meta (profile-job.ts). */
function profileLookup(contactId: number): NewJob {
  return { kind: 'messenger.profile', payload: { contactId }, dedupeKey: `profile:${contactId}` };
}

/**
 * Writes the plain messages a transaction collected and queues the profile lookups of the new people
 * among them; each lookup counts for the body that brought that person.
 */
export async function flushPlain(batch: ConversationWriter): Promise<void> {
  const created = await batch.flushPlain();
  if (created.length === 0) return;
  await enqueueJobs(
    batch.tx,
    created.map((c) => profileLookup(c.thread.contactId)),
  );
  // Every outcome a batch's writer records into is an Ingest's result (see the constructor).
  for (const c of created) (c.outcome as IngestResult).jobs++;
}

export class Ingest implements EventContext {
  readonly result: IngestResult = { ...emptyOutcome(), skipped: 0, jobs: 0 };
  readonly writer: ConversationWriter;

  /** `batch` is the transaction's writer; this body records into its own result. */
  constructor(
    batch: ConversationWriter,
    readonly ownAppId?: string,
  ) {
    this.writer = batch.withOutcome(this.result);
  }

  /** Looks up every sender of these bodies in one query instead of one per event. */
  static prefetch(batch: ConversationWriter, bodies: WebhookBody[]): Promise<void> {
    const people = bodies.flatMap((body) =>
      flattenEvents(body).flatMap(({ pageId, event }) => {
        const psid = event.message?.is_echo ? event.recipient?.id : event.sender?.id;
        return psid ? [{ pageId, psid }] : [];
      }),
    );
    return batch.prefetch(people);
  }

  async body(body: WebhookBody): Promise<IngestResult> {
    for (const { pageId, event } of flattenEvents(body)) await this.event(pageId, event);
    await this.writer.settle();
    return this.result;
  }

  private async event(pageId: string, e: MessagingEvent): Promise<void> {
    const at = e.timestamp;
    const m = e.message;
    const person = m?.is_echo ? e.recipient?.id : e.sender?.id;
    // Meta retries late: an event of someone erased since must not bring them back (conversations/erase.ts).
    if (person && (await this.writer.fromBeforeErasure(pageId, person, at)))
      return this.skip('an event from before this person was erased');
    if (m && !m.is_echo && m.mid && e.sender?.id && usableAttachments(m).length === 0)
      return plainMessage(this, pageId, e.sender.id, { ...m, mid: m.mid }, at);
    // Anything else may depend on the messages collected so far (a reaction to one, an edit of one).
    await this.flushPlain();
    if (m?.is_echo) return echo(this, pageId, e.recipient?.id, m, at);
    const psid = e.sender?.id;
    if (!psid) return this.skip('event without sender.id');
    if (m) return message(this, pageId, psid, m, at);
    if (e.postback) return postback(this, pageId, psid, e.postback, at);
    if (e.read) return read(this, pageId, psid, e.read.watermark);
    if (e.delivery) return delivery(this, pageId, psid, e.delivery);
    if (e.reaction) return reaction(this, pageId, psid, e.reaction, at);
    if (e.referral) return referral(this, pageId, psid, e.referral, at);
    if (e.message_edit) return edit(this, pageId, psid, e.message_edit, at);
    return this.skip(`unhandled event kind ${e.other?.join(',') || 'none'}`);
  }

  /** Writes the plain messages collected so far (before any other kind of event, and after the batch's last body). */
  flushPlain(): Promise<void> {
    return flushPlain(this.writer);
  }

  async ensure(pageId: string, psid: string, at: number): Promise<Thread> {
    const { thread, created } = await this.writer.ensure(pageId, psid, at);
    if (created) await this.queue(profileLookup(thread.contactId));
    return thread;
  }

  /** An event we cannot use: counted and logged, never an error (Meta would retry it forever). */
  skip(reason: string): void {
    this.result.skipped++;
    log.info('webhook event skipped', { reason });
  }

  async firstTime(key: string): Promise<boolean> {
    const first = await firstReceipt(this.writer.tx, key);
    if (!first) this.result.duplicates++;
    return first;
  }

  /** A job (a profile lookup, a download) in this transaction: it runs only if the events commit. */
  async queue(job: NewJob): Promise<void> {
    await enqueueJobs(this.writer.tx, [job]);
    this.result.jobs++;
  }
}
