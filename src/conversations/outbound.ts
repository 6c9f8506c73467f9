// Messages from the business: a reply (text and files) as it is queued, and each step of its way
// out (sent part by part, sent, failed, back in the queue, or marked `sandbox` when nothing goes to
// Meta). The outbox (messenger/outbox) decides when; this file is how the message rows change.
import type { Queryable } from '../core/db';
import { AppError, badRequest } from '../core/errors';
import { preview, touchConversations } from './activity';
import { messageCreated, messageUpdated } from './changes';
import type { SentBy } from './reply-window';
import type { ConversationWriter } from './writer';

export const MAX_TEXT = 20000;
/** Messenger's limit for one file, in and out. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

export interface OutgoingFile {
  name: string;
  contentType: string;
  data: Buffer;
}

/** Messenger's attachment type for a file: image, audio, video, or any other file. */
export function fileType(contentType: string): 'image' | 'audio' | 'video' | 'file' {
  const top = contentType.split('/')[0];
  return top === 'image' || top === 'audio' || top === 'video' ? top : 'file';
}

/** Refuses, before anything is stored, a reply that Messenger could not take. */
export function checkReply(text: string, files: OutgoingFile[]): void {
  if (!text && files.length === 0) throw badRequest('empty-message', 'Write a message or attach a file.');
  if (text.length > MAX_TEXT) throw badRequest('message-too-long', `Keep a message under ${MAX_TEXT} characters.`);
  for (const f of files) {
    if (f.data.length > MAX_FILE_BYTES)
      throw new AppError(413, 'file-too-large', `${f.name} is larger than Messenger's 25 MB limit.`);
  }
}

/** Stores a queued reply with its files and records it on the conversation; returns its id. */
export async function addReply(
  w: ConversationWriter,
  input: { conversationId: number; text: string; files: OutgoingFile[]; sentBy: SentBy; userId?: number },
): Promise<number> {
  const now = Date.now();
  const { lastID: messageId } = await w.tx.run(
    `INSERT INTO messages (conversation_id, direction, kind, text, status, sent_by, sent_by_user_id, created_at, received_at)
     VALUES (?, 'out', 'message', ?, 'queued', ?, ?, ?, ?)`,
    [input.conversationId, input.text || null, input.sentBy, input.userId ?? null, now, now],
  );
  for (const f of input.files) {
    await w.tx.run(
      `INSERT INTO attachments (message_id, type, state, name, content_type, size, data, created_at)
       VALUES (?, ?, 'stored', ?, ?, ?, ?, ?)`,
      [messageId, fileType(f.contentType), f.name, f.contentType, f.data.length, f.data, now],
    );
  }
  await touchConversations(w.tx, [
    {
      conversationId: input.conversationId,
      at: now,
      direction: 'out',
      preview: preview(input.text, input.files[0] && fileType(input.files[0].contentType)),
    },
  ]);
  // The business's first answer in this conversation (a person's or the AI's), for the dashboard.
  if (input.sentBy === 'user' || input.sentBy === 'ai')
    await w.tx.run(
      'UPDATE conversations SET first_reply_at = ? WHERE id = ? AND first_reply_at IS NULL AND first_inbound_at IS NOT NULL',
      [now, input.conversationId],
    );
  messageCreated(w.outcome, input.conversationId, messageId);
  return messageId;
}

/** A private note: stored between the messages, never sent to the customer. */
export async function addNote(w: ConversationWriter, conversationId: number, userId: number, text: string): Promise<number> {
  const now = Date.now();
  const { lastID } = await w.tx.run(
    `INSERT INTO messages (conversation_id, direction, kind, text, status, sent_by, sent_by_user_id, created_at, received_at)
     VALUES (?, 'out', 'note', ?, 'note', 'user', ?, ?, ?)`,
    [conversationId, text, userId, now, now],
  );
  w.outcome.messages.push({ conversationId, messageId: lastID, change: 'created' });
  return lastID;
}

/** What the sender needs to deliver a queued message: whom to, the window's inputs, who wrote it. */
export function replyTarget(
  db: Queryable,
  messageId: number,
): Promise<
  { conversation_id: number; psid: string; last_inbound_at: number | null; sent_by: SentBy; text: string | null } | undefined
> {
  return db.get(
    `SELECT m.conversation_id, k.psid, c.last_inbound_at, m.sent_by, m.text FROM messages m
     JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id WHERE m.id = ?`,
    [messageId],
  );
}

/** The files of an outgoing message, in the order they go out. */
export function replyFiles(db: Queryable, messageId: number) {
  return db.all<{ name: string | null; content_type: string | null; data: Buffer | null; type: string }>(
    "SELECT name, content_type, data, type FROM attachments WHERE message_id = ? AND state = 'stored' AND data IS NOT NULL ORDER BY id",
    [messageId],
  );
}

/** One part reached Meta: the message keeps Meta's first mid and the time its first part was sent. */
export async function partSent(w: ConversationWriter, messageId: number, mid: string, requestedAt: number): Promise<void> {
  await w.tx.run('UPDATE messages SET mid = COALESCE(mid, ?), sent_at = COALESCE(sent_at, ?) WHERE id = ?', [
    mid,
    requestedAt,
    messageId,
  ]);
}

async function setStatus(
  w: ConversationWriter,
  messageId: number,
  sql: string,
  params: (string | number | null)[],
): Promise<void> {
  const row = await w.tx.get<{ conversation_id: number }>(`${sql} RETURNING conversation_id`, params);
  if (!row) return;
  messageUpdated(w.outcome, row.conversation_id, messageId);
  w.outcome.conversations.push(row.conversation_id);
}

/** Every part went out. */
export function markSent(w: ConversationWriter, messageId: number): Promise<void> {
  return setStatus(
    w,
    messageId,
    "UPDATE messages SET status = 'sent', error_code = NULL, error_message = NULL WHERE id = ? AND status IN ('queued', 'failed')",
    [messageId],
  );
}

/** Sandbox mode: the reply is kept and shown, and nothing goes to Meta. */
export function markSandbox(w: ConversationWriter, messageId: number): Promise<void> {
  return setStatus(w, messageId, "UPDATE messages SET status = 'sandbox', sent_at = ? WHERE id = ? AND status = 'queued'", [
    Date.now(),
    messageId,
  ]);
}

/** The reply cannot go out; the reason is shown on it, with a Retry button. */
export function markFailed(w: ConversationWriter, messageId: number, code: string, message: string): Promise<void> {
  return setStatus(w, messageId, "UPDATE messages SET status = 'failed', error_code = ?, error_message = ? WHERE id = ?", [
    code,
    message,
    messageId,
  ]);
}

/** A failed reply goes back to the queue (Retry); refuses anything but a failed reply. */
export async function requeue(w: ConversationWriter, messageId: number, conversationId?: number): Promise<void> {
  const row = await w.tx.get<{ status: string }>(
    "SELECT status FROM messages WHERE id = ? AND direction = 'out' AND kind = 'message' AND (? IS NULL OR conversation_id = ?)",
    [messageId, conversationId ?? null, conversationId ?? null],
  );
  if (!row) throw new AppError(404, 'not-found', 'That message does not exist.');
  if (row.status !== 'failed') throw new AppError(409, 'not-failed', 'Only a failed message can be retried.');
  await setStatus(w, messageId, "UPDATE messages SET status = 'queued', error_code = NULL, error_message = NULL WHERE id = ?", [
    messageId,
  ]);
}
