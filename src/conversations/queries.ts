// Reading conversations and their messages, as the conversation page, the live stream, the
// Simulator and the API show them.
import type { Queryable } from '../core/db';

export const STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof STATUSES)[number];

export interface MessageRow {
  id: number;
  conversation_id: number;
  mid: string | null;
  direction: 'in' | 'out';
  kind: 'message' | 'note' | 'postback';
  text: string | null;
  status: string;
  error_code: string | null;
  error_message: string | null;
  sent_by: string;
  sent_by_user_id: number | null;
  sent_by_name: string | null;
  /** The customer, for describing what they sent (an image's alt text): displayName() of these. */
  contact_name: string | null;
  contact_psid: string | null;
  quick_reply: string | null;
  reply_to_mid: string | null;
  reaction: string | null;
  created_at: number;
  edited_at: number | null;
}

export interface AttachmentRow {
  id: number;
  message_id: number;
  type: string;
  state: 'pending' | 'stored' | 'unavailable' | 'too_large';
  name: string | null;
  title: string | null;
  content_type: string | null;
  size: number | null;
  source_url: string | null;
  sticker_id: string | null;
}

/** A message as the conversation view renders it. */
export type ShownMessage = MessageRow & { attachments: AttachmentRow[] };

export async function listMessages(
  db: Queryable,
  conversationId: number,
  options: { includeNotes?: boolean; limit?: number; onlyId?: number } = {},
): Promise<ShownMessage[]> {
  const limit = Math.min(options.limit ?? 500, 2000);
  // The newest `limit` messages, shown oldest first.
  const messages = await db.all<MessageRow>(
    `SELECT * FROM (
       SELECT m.id, m.conversation_id, m.mid, m.direction, m.kind, m.text, m.status, m.error_code, m.error_message,
              m.sent_by, m.sent_by_user_id, COALESCE(NULLIF(u.name, ''), u.email) AS sent_by_name, m.quick_reply, m.reply_to_mid, m.reaction,
              m.created_at, m.edited_at, k.name AS contact_name, k.psid AS contact_psid
       FROM messages m LEFT JOIN users u ON u.id = m.sent_by_user_id
       LEFT JOIN conversations c ON c.id = m.conversation_id LEFT JOIN contacts k ON k.id = c.contact_id
       WHERE m.conversation_id = ? ${options.includeNotes ? '' : "AND m.kind != 'note'"} ${options.onlyId ? 'AND m.id = ?' : ''}
       ORDER BY m.created_at DESC, m.id DESC LIMIT ?
     ) ORDER BY created_at, id`,
    options.onlyId ? [conversationId, options.onlyId, limit] : [conversationId, limit],
  );
  if (messages.length === 0) return [];
  const attachments = await db.all<AttachmentRow>(
    `SELECT id, message_id, type, state, name, title, content_type, size, source_url, sticker_id FROM attachments
     WHERE message_id IN (${messages.map(() => '?').join(',')}) ORDER BY id`,
    messages.map((m) => m.id),
  );
  return messages.map((m) => ({ ...m, attachments: attachments.filter((a) => a.message_id === m.id) }));
}

export interface ConversationDetail {
  id: number;
  status: ConversationStatus;
  assignee_id: number | null;
  last_inbound_at: number | null;
  last_message_at: number | null;
  unread_count: number;
  contact_id: number;
  contact_name: string | null;
  psid: string;
  page_id: string;
}

export function getConversation(db: Queryable, id: number): Promise<ConversationDetail | undefined> {
  return db.get<ConversationDetail>(
    `SELECT c.id, c.status, c.assignee_id, c.last_inbound_at, c.last_message_at, c.unread_count, c.page_id,
            k.id AS contact_id, k.name AS contact_name, k.psid
     FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = ?`,
    [id],
  );
}
