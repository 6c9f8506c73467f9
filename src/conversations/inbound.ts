// Writes that Messenger's events make: a message (or postback) from the customer with its files, a
// message the Page sent from Meta's own tools, the echo that proves one of ChatX's sends went out,
// read and delivery receipts, reactions, edits, and the ad or link that brought someone. Meta may
// deliver any of them late, twice or out of order: each is applied once, and the newest one wins.
import { preview, touchConversations, touchWindow } from './activity';
import { personAnswered } from './ai-state';
import { messageCreated, messageUpdated } from './changes';
import type { Thread } from './threads';
import type { ConversationWriter } from './writer';

/** A file as the webhook names it; `pending` ones are downloaded by a job (their URL expires). */
export interface IncomingFile {
  type: string;
  state: 'pending' | 'unavailable';
  sourceUrl: string | null;
  title: string | null;
  stickerId: string | null;
}

export interface NewMessage {
  mid: string;
  /** 'in' from the customer; 'out' sent by the Page from Meta's own tools (sentBy 'outside'). */
  direction: 'in' | 'out';
  kind?: 'message' | 'postback';
  text: string | null;
  sentBy: 'contact' | 'outside';
  at: number;
  quickReply?: string | null;
  replyTo?: string | null;
  metadata?: string | null;
  files?: IncomingFile[];
}

/**
 * Stores a message with its files and records it on the conversation. Returns the new message id
 * and the ids of the files to download, or undefined when the mid was stored before.
 */
export async function addMessage(
  w: ConversationWriter,
  thread: Thread,
  m: NewMessage,
): Promise<{ messageId: number; downloads: number[] } | undefined> {
  const { changes, lastID: messageId } = await w.tx.run(
    `INSERT INTO messages (conversation_id, mid, direction, kind, text, status, sent_by, quick_reply, reply_to_mid,
       metadata, created_at, received_at, sent_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mid) DO NOTHING`,
    [
      thread.conversationId,
      m.mid,
      m.direction,
      m.kind ?? 'message',
      m.text,
      m.direction === 'in' ? 'received' : 'sent',
      m.sentBy,
      m.quickReply ?? null,
      m.replyTo ?? null,
      m.metadata ?? null,
      m.at,
      Date.now(),
      m.direction === 'out' ? m.at : null,
    ],
  );
  if (changes === 0) {
    w.outcome.duplicates++;
    return undefined;
  }
  messageCreated(w.outcome, thread.conversationId, messageId);
  // The customer wrote: the AI may answer. The Page wrote from Meta's own tools: a person answered.
  if (m.direction === 'in') w.customerWrote(thread.conversationId, messageId);
  else w.later(personAnswered(w, thread.conversationId));
  const downloads: number[] = [];
  for (const f of m.files ?? []) {
    const { lastID } = await w.tx.run(
      `INSERT INTO attachments (message_id, type, state, source_url, title, sticker_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [messageId, f.type, f.state, f.sourceUrl, f.title, f.stickerId, Date.now()],
    );
    if (f.state === 'pending') downloads.push(lastID);
  }
  w.later(
    touchConversations(w.tx, [
      { conversationId: thread.conversationId, at: m.at, direction: m.direction, preview: preview(m.text, m.files?.[0]?.type) },
    ]),
  );
  return { messageId, downloads };
}

export async function hasMessage(w: ConversationWriter, mid: string): Promise<boolean> {
  return Boolean(await w.tx.get('SELECT id FROM messages WHERE mid = ?', [mid]));
}

/**
 * The echo of one of ChatX's own sends: the message gets Meta's mid and counts as sent. The echo's
 * time is the message's time on Meta's clock, which read and delivery watermarks are compared
 * with, so it replaces our own clock when earlier. Returns false when that message no longer exists.
 */
export async function confirmSent(w: ConversationWriter, messageId: number, mid: string, at: number): Promise<boolean> {
  const row = await w.tx.get<{ conversation_id: number }>(
    `UPDATE messages SET mid = COALESCE(mid, ?), status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END,
       sent_at = MIN(COALESCE(sent_at, ?), ?) WHERE id = ? AND direction = 'out' RETURNING conversation_id`,
    [mid, at, at, messageId],
  );
  if (!row) return false;
  messageUpdated(w.outcome, row.conversation_id, messageId);
  return true;
}

/**
 * Read and delivery receipts: every message sent at or before the watermark (or the one named by
 * its mid) reaches the status; receipts are idempotent by nature and never move a status back.
 */
export async function advanceStatus(
  w: ConversationWriter,
  conversationId: number,
  status: 'delivered' | 'read',
  by: { watermark: number } | { mid: string },
): Promise<void> {
  const from = status === 'read' ? "status IN ('sent', 'delivered')" : "status = 'sent'";
  const which = 'watermark' in by ? 'COALESCE(sent_at, created_at) <= ?' : 'mid = ?';
  const rows = await w.tx.all<{ id: number }>(
    `SELECT id FROM messages WHERE conversation_id = ? AND direction = 'out' AND kind = 'message' AND ${from} AND ${which}`,
    [conversationId, 'watermark' in by ? by.watermark : by.mid],
  );
  if (rows.length === 0) return;
  await w.tx.run(`UPDATE messages SET status = ? WHERE id IN (${rows.map(() => '?').join(',')})`, [
    status,
    ...rows.map((r) => r.id),
  ]);
  for (const r of rows) messageUpdated(w.outcome, conversationId, r.id);
  w.outcome.stored++;
}

/** The customer's reaction to a message (null: taken back); it re-opens the reply window too. */
export async function react(w: ConversationWriter, conversationId: number, mid: string, emoji: string | null, at: number) {
  const row = await w.tx.get<{ id: number }>(
    'UPDATE messages SET reaction = ? WHERE mid = ? AND conversation_id = ? RETURNING id',
    [emoji, mid, conversationId],
  );
  // docs/messenger.md, The 24-hour window and the Human Agent tag: a reaction counts as the customer acting.
  await touchWindow(w.tx, conversationId, at);
  if (row) messageUpdated(w.outcome, conversationId, row.id);
  w.outcome.stored++;
}

/** An edit of a message the customer sent; out-of-order edits lose to newer ones. */
export async function edit(
  w: ConversationWriter,
  conversationId: number,
  mid: string,
  text: string,
  at: number,
): Promise<'applied' | 'older' | 'unknown'> {
  const row = await w.tx.get<{ id: number; edited_at: number | null }>(
    'SELECT id, edited_at FROM messages WHERE mid = ? AND conversation_id = ?',
    [mid, conversationId],
  );
  if (!row) return 'unknown';
  if (row.edited_at && row.edited_at > at) return 'older';
  await w.tx.run('UPDATE messages SET text = ?, edited_at = ? WHERE id = ?', [text, at, row.id]);
  messageUpdated(w.outcome, conversationId, row.id);
  w.outcome.stored++;
  return 'applied';
}

export interface Referral {
  ref?: string;
  source?: string;
  adId?: string;
}

/** The ad or link that brought someone: lead-source data for the CRM. */
export async function saveReferral(w: ConversationWriter, thread: Thread, ref: Referral): Promise<void> {
  await w.tx.run(
    `UPDATE contacts SET referral_ref = COALESCE(?, referral_ref), referral_source = COALESCE(?, referral_source),
       referral_ad_id = COALESCE(?, referral_ad_id), lead_source = COALESCE(lead_source, ?), updated_at = ? WHERE id = ?`,
    [
      ref.ref ?? null,
      ref.source ?? null,
      ref.adId ?? null,
      ref.source ? ref.source.toLowerCase() : null,
      Date.now(),
      thread.contactId,
    ],
  );
}

/** A referral on its own (someone opened the conversation from an ad or link): it opens the window. */
export async function referred(w: ConversationWriter, thread: Thread, ref: Referral, at: number): Promise<void> {
  await saveReferral(w, thread, ref);
  await touchWindow(w.tx, thread.conversationId, at);
  w.outcome.conversations.push(thread.conversationId);
  w.outcome.stored++;
}
