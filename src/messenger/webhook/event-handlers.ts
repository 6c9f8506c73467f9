// One handler per kind of webhook event: what it means, and which write of the conversations
// module it becomes. Messages (with their files queued for download), echoes of what the Page sent
// (ours reconciled with the outbox, others kept as sent outside ChatX), postbacks, read and
// delivery receipts, reactions, referrals and edits. Each runs inside the batch's transaction.
import type { NewJob } from '../../core/queue';
import { preview } from '../../conversations/activity';
import {
  addMessage,
  advanceStatus,
  confirmSent,
  edit as editMessage,
  hasMessage,
  react,
  referred,
  saveReferral,
  type IncomingFile,
  type NewMessage,
  type Referral as ContactReferral,
} from '../../conversations/inbound';
import type { Thread } from '../../conversations/threads';
import type { ConversationWriter } from '../../conversations/writer';
import { parseOutboxMetadata } from '../outbox/metadata';
import { recordEchoedPart } from '../outbox/rows';
import { DOWNLOADABLE, usableAttachments, type IncomingMessage, type MessagingEvent, type Referral } from './events';

/** What a handler may do besides writing: the Ingest of the body it came in (ingest.ts). */
export interface EventContext {
  readonly writer: ConversationWriter;
  /** This install's Meta app id: echoes from it are ChatX's own sends. */
  readonly ownAppId?: string;
  /** The sender's thread, created (with their profile lookup queued) if they are new. */
  ensure(pageId: string, psid: string, at: number): Promise<Thread>;
  skip(reason: string): void;
  /** Remembers a natural key; false when it was seen before (a retry). */
  firstTime(key: string): Promise<boolean>;
  queue(job: NewJob): Promise<void>;
}

/** Text without files: collected for the batch's one INSERT (conversations/plain-messages.ts). */
export function plainMessage(x: EventContext, pageId: string, psid: string, m: IncomingMessage & { mid: string }, at: number) {
  return x.writer.collectPlain({
    pageId,
    psid,
    mid: m.mid,
    text: m.text ?? null,
    quickReply: m.quick_reply?.payload ?? null,
    replyTo: m.reply_to?.mid ?? null,
    at,
    preview: preview(m.text),
  });
}

/** The files worth keeping; the ones with bytes behind a URL are fetched now (the URLs expire). */
function incomingFiles(m: IncomingMessage): IncomingFile[] {
  return usableAttachments(m).map((a) => {
    const type = a.type ?? 'fallback';
    const url = a.payload?.url ?? null;
    return {
      type,
      state: url && DOWNLOADABLE.has(type) ? 'pending' : 'unavailable',
      sourceUrl: url,
      title: a.payload?.title ?? a.title ?? null,
      stickerId: a.payload?.sticker_id != null ? String(a.payload.sticker_id) : null,
    };
  });
}

/**
 * Stores a message in the person's thread (created if they are new) and queues the download of
 * its files: their URLs expire (docs/messenger.md, Received attachments), so the bytes are fetched
 * by a job right after the commit. Returns the thread, and whether the mid was new.
 */
async function keep(x: EventContext, pageId: string, psid: string, m: NewMessage): Promise<{ thread: Thread; stored: boolean }> {
  const thread = await x.ensure(pageId, psid, m.at);
  const stored = await addMessage(x.writer, thread, m);
  for (const attachmentId of stored?.downloads ?? [])
    await x.queue({ kind: 'messenger.attachment', payload: { attachmentId }, dedupeKey: `attachment:${attachmentId}` });
  return { thread, stored: stored !== undefined };
}

export async function message(x: EventContext, pageId: string, psid: string, m: IncomingMessage, at: number): Promise<void> {
  if (!m.mid) return x.skip('message without mid');
  await keep(x, pageId, psid, {
    mid: m.mid,
    direction: 'in',
    text: m.text ?? null,
    sentBy: 'contact',
    at,
    quickReply: m.quick_reply?.payload,
    replyTo: m.reply_to?.mid,
    files: incomingFiles(m),
  });
}

export async function echo(
  x: EventContext,
  pageId: string,
  psid: string | undefined,
  m: IncomingMessage,
  at: number,
): Promise<void> {
  if (!psid || !m.mid) return x.skip('echo without recipient or mid');
  // Our own send: reconcile it with the outbox by the metadata we attached; never store it twice.
  const ours = parseOutboxMetadata(m.metadata);
  if (ours && (await confirmSent(x.writer, ours.messageId, m.mid, at))) {
    // The echo proves this part reached Meta: the sender must not send it again after a crash.
    await recordEchoedPart(x.writer.tx, ours.messageId, ours.part);
    x.writer.outcome.duplicates++;
    return;
  }
  if (await hasMessage(x.writer, m.mid)) {
    x.writer.outcome.duplicates++;
    return;
  }
  // Ours, but the message it belonged to is gone (deleted): nothing to store.
  if (ours || (x.ownAppId && String(m.app_id ?? '') === x.ownAppId))
    return x.skip('echo of a ChatX message that no longer exists');
  // Sent from Meta's Page inbox or the phone app: keep it, marked as sent outside ChatX.
  await keep(x, pageId, psid, {
    mid: m.mid,
    direction: 'out',
    text: m.text ?? null,
    sentBy: 'outside',
    at,
    metadata: m.app_id ? JSON.stringify({ app_id: String(m.app_id) }) : null,
    files: incomingFiles(m),
  });
}

function referralOf(ref: Referral): ContactReferral {
  return { ref: ref.ref, source: ref.source, adId: ref.ad_id };
}

export async function postback(
  x: EventContext,
  pageId: string,
  psid: string,
  p: NonNullable<MessagingEvent['postback']>,
  at: number,
): Promise<void> {
  const { thread, stored } = await keep(x, pageId, psid, {
    // Older postbacks have no mid; the natural key is who tapped what, when.
    mid: p.mid ?? `postback:${psid}:${at}:${p.payload ?? ''}`,
    direction: 'in',
    kind: 'postback',
    text: p.title ?? p.payload ?? 'Button tapped',
    sentBy: 'contact',
    at,
    metadata: JSON.stringify({ payload: p.payload ?? null }),
  });
  if (stored && p.referral) await saveReferral(x.writer, thread, referralOf(p.referral));
}

export async function read(x: EventContext, pageId: string, psid: string, watermark?: number): Promise<void> {
  const thread = await x.writer.find(pageId, psid);
  if (!thread || typeof watermark !== 'number') return x.skip('read for an unknown thread or without watermark');
  await advanceStatus(x.writer, thread.conversationId, 'read', { watermark });
}

export async function delivery(x: EventContext, pageId: string, psid: string, d: NonNullable<MessagingEvent['delivery']>) {
  const thread = await x.writer.find(pageId, psid);
  if (!thread) return x.skip('delivery for an unknown thread');
  if (typeof d.watermark === 'number')
    await advanceStatus(x.writer, thread.conversationId, 'delivered', { watermark: d.watermark });
  for (const mid of d.mids ?? []) await advanceStatus(x.writer, thread.conversationId, 'delivered', { mid });
}

export async function reaction(
  x: EventContext,
  pageId: string,
  psid: string,
  r: NonNullable<MessagingEvent['reaction']>,
  at: number,
): Promise<void> {
  const thread = await x.writer.find(pageId, psid);
  if (!thread || !r.mid) return x.skip('reaction for an unknown thread or message');
  const key = `reaction:${r.mid}:${psid}:`;
  if (!(await x.firstTime(`${key}${at}:${r.action ?? 'react'}`))) return;
  // Out of order (Meta's retries after an outage): an older react/unreact must not undo a newer one.
  const newer = await x.writer.tx.get(
    'SELECT 1 FROM webhook_receipts WHERE substr(key, 1, ?) = ? AND CAST(substr(key, ? + 1) AS INTEGER) > ?',
    [key.length, key, key.length, at],
  );
  if (newer) return;
  await react(x.writer, thread.conversationId, r.mid, r.action === 'unreact' ? null : (r.emoji ?? r.reaction ?? null), at);
}

export async function referral(x: EventContext, pageId: string, psid: string, ref: Referral, at: number): Promise<void> {
  if (!(await x.firstTime(`referral:${pageId}:${psid}:${at}`))) return;
  await referred(x.writer, await x.ensure(pageId, psid, at), referralOf(ref), at);
}

export async function edit(
  x: EventContext,
  pageId: string,
  psid: string,
  e: NonNullable<MessagingEvent['message_edit']>,
  at: number,
): Promise<void> {
  const thread = await x.writer.find(pageId, psid);
  if (!thread || !e.mid) return x.skip('edit for an unknown thread or message');
  if (!(await x.firstTime(`edit:${e.mid}:${e.num_edit ?? at}`))) return;
  if ((await editMessage(x.writer, thread.conversationId, e.mid, e.text ?? '', at)) === 'unknown')
    x.skip('edit of a message we never received');
}
