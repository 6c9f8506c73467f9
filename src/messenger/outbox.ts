// The outbox: every reply (from a person, the API, or AI) is written with its outbox row in one
// transaction, then delivered by the sender (outbox-sender.ts). The sender is kicked right after the
// commit and swept by a cron job, so a crash or restart never loses a reply; echoes and the
// per-part progress keep it from being sent twice.
import type { Config } from '../config';
import type { Db } from '../core/db';
import { AppError, badRequest, notFound } from '../core/errors';
import { preview, touchConversation } from '../inbox/threads';
import { channelState } from './channel';
import { splitText } from './graph';
import { decideWindow, type SentBy } from './window';

export const MAX_SEND_ATTEMPTS = 10;
export const MAX_TEXT = 20000;
export const MAX_FILE_BYTES = 25 * 1024 * 1024;
/** A send interrupted by a crash is retried only after this long without an echo proving it went. */
export const SENDING_GRACE_MS = 2 * 60 * 1000;

export interface OutgoingFile {
  name: string;
  contentType: string;
  data: Buffer;
}

export interface QueueInput {
  conversationId: number;
  text?: string;
  files?: OutgoingFile[];
  sentBy: SentBy;
  userId?: number;
}

function fileType(contentType: string): 'image' | 'audio' | 'video' | 'file' {
  const top = contentType.split('/')[0];
  return top === 'image' || top === 'audio' || top === 'video' ? top : 'file';
}

/** Writes the message and its outbox row; refuses before anything is stored when Messenger would. */
export async function queueMessage(db: Db, config: Config, input: QueueInput): Promise<{ id: number; status: 'queued' }> {
  const text = (input.text ?? '').trim();
  const files = input.files ?? [];
  if (!text && files.length === 0) throw badRequest('empty-message', 'Write a message or attach a file.');
  if (text.length > MAX_TEXT) throw badRequest('message-too-long', `Keep a message under ${MAX_TEXT} characters.`);
  for (const f of files) {
    if (f.data.length > MAX_FILE_BYTES)
      throw new AppError(413, 'file-too-large', `${f.name} is larger than Messenger's 25 MB limit.`);
  }
  const state = await channelState(db, config);
  return db.transaction(async (tx) => {
    const conversation = await tx.get<{ id: number; last_inbound_at: number | null }>(
      'SELECT id, last_inbound_at FROM conversations WHERE id = ?',
      [input.conversationId],
    );
    if (!conversation) throw notFound('That conversation does not exist.');
    const window = decideWindow({
      lastInboundAt: conversation.last_inbound_at,
      sentBy: input.sentBy,
      humanAgentEnabled: state.humanAgentEnabled,
    });
    if (!window.ok) throw new AppError(422, window.code, window.reason);
    const now = Date.now();
    const { lastID: messageId } = await tx.run(
      `INSERT INTO messages (conversation_id, direction, kind, text, status, sent_by, sent_by_user_id, created_at, received_at)
       VALUES (?, 'out', 'message', ?, 'queued', ?, ?, ?, ?)`,
      [input.conversationId, text || null, input.sentBy, input.userId ?? null, now, now],
    );
    for (const f of files) {
      await tx.run(
        `INSERT INTO attachments (message_id, type, state, name, content_type, size, data, created_at)
         VALUES (?, ?, 'stored', ?, ?, ?, ?, ?)`,
        [messageId, fileType(f.contentType), f.name, f.contentType, f.data.length, f.data, now],
      );
    }
    const partsTotal = files.length + (text ? splitText(text).length : 0);
    await tx.run(
      `INSERT INTO outbox (message_id, conversation_id, state, next_attempt_at, parts_total, created_at, updated_at)
       VALUES (?, ?, 'pending', ?, ?, ?, ?)`,
      [messageId, input.conversationId, now, partsTotal, now, now],
    );
    await touchConversation(tx, input.conversationId, {
      at: now,
      direction: 'out',
      preview: preview(text, files[0] && fileType(files[0].contentType)),
    });
    return { id: messageId, status: 'queued' as const };
  });
}

/** Puts a failed message back in the outbox; the window is checked again when it is sent. */
export async function retryMessage(db: Db, messageId: number, conversationId?: number): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await tx.get<{ status: string }>(
      "SELECT status FROM messages WHERE id = ? AND direction = 'out' AND kind = 'message' AND (? IS NULL OR conversation_id = ?)",
      [messageId, conversationId ?? null, conversationId ?? null],
    );
    if (!row) throw notFound('That message does not exist.');
    if (row.status !== 'failed') throw new AppError(409, 'not-failed', 'Only a failed message can be retried.');
    await tx.run("UPDATE messages SET status = 'queued', error_code = NULL, error_message = NULL WHERE id = ?", [messageId]);
    await tx.run(
      "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL, updated_at = ? WHERE message_id = ?",
      [Date.now(), Date.now(), messageId],
    );
  });
}
