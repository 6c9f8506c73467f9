// Contacts and their conversations as Messenger events create and touch them.
// One contact per (Page, PSID); one conversation per contact; a new inbound message reopens it.
import type { Queryable } from '../core/db';

export interface Thread {
  contactId: number;
  conversationId: number;
  created: boolean;
}

export async function findThread(db: Queryable, pageId: string, psid: string): Promise<Thread | undefined> {
  const row = await db.get<{ contact_id: number; conversation_id: number }>(
    `SELECT k.id AS contact_id, c.id AS conversation_id
     FROM contacts k JOIN conversations c ON c.contact_id = k.id WHERE k.page_id = ? AND k.psid = ?`,
    [pageId, psid],
  );
  return row ? { contactId: row.contact_id, conversationId: row.conversation_id, created: false } : undefined;
}

export async function ensureThread(db: Queryable, pageId: string, psid: string, at: number): Promise<Thread> {
  const existing = await findThread(db, pageId, psid);
  if (existing) return existing;
  const now = Date.now();
  const contact = await db.run('INSERT INTO contacts (page_id, psid, created_at, updated_at) VALUES (?, ?, ?, ?)', [
    pageId,
    psid,
    now,
    now,
  ]);
  const conversation = await db.run(
    'INSERT INTO conversations (page_id, contact_id, status, created_at, updated_at, last_message_at) VALUES (?, ?, ?, ?, ?, ?)',
    [pageId, contact.lastID, 'open', now, now, at],
  );
  return { contactId: contact.lastID, conversationId: conversation.lastID, created: true };
}

export function preview(text: string | null | undefined, attachmentType?: string): string {
  if (text && text.trim()) return text.trim().replace(/\s+/g, ' ').slice(0, 140);
  if (attachmentType)
    return attachmentType === 'image' ? '📷 Photo' : attachmentType === 'sticker' ? 'Sticker' : `📎 ${attachmentType}`;
  return '';
}

/**
 * Records a new message on its conversation. Inbound messages reopen a resolved or snoozed
 * conversation and count as unread; the list order follows the newest message time.
 */
export async function touchConversation(
  db: Queryable,
  conversationId: number,
  message: { at: number; direction: 'in' | 'out'; preview: string; countsAsUnread?: boolean },
): Promise<void> {
  const inbound = message.direction === 'in';
  await db.run(
    `UPDATE conversations SET
       last_message_preview = CASE WHEN ? >= COALESCE(last_message_at, 0) THEN ? ELSE last_message_preview END,
       last_message_at = MAX(COALESCE(last_message_at, 0), ?),
       last_inbound_at = CASE WHEN ? THEN MAX(COALESCE(last_inbound_at, 0), ?) ELSE last_inbound_at END,
       unread_count = unread_count + ?,
       status = CASE WHEN ? AND status IN ('resolved', 'snoozed') THEN 'open' ELSE status END,
       snoozed_until = CASE WHEN ? AND status = 'snoozed' THEN NULL ELSE snoozed_until END,
       updated_at = ?
     WHERE id = ?`,
    [
      message.at,
      message.preview,
      message.at,
      inbound ? 1 : 0,
      message.at,
      inbound && message.countsAsUnread !== false ? 1 : 0,
      inbound ? 1 : 0,
      inbound ? 1 : 0,
      Date.now(),
      conversationId,
    ],
  );
}

/** A user action that opens the 24-hour window without being a message (reaction, referral). */
export async function touchWindow(db: Queryable, conversationId: number, at: number): Promise<void> {
  await db.run('UPDATE conversations SET last_inbound_at = MAX(COALESCE(last_inbound_at, 0), ?) WHERE id = ?', [
    at,
    conversationId,
  ]);
}

export function displayName(contact: { name: string | null; psid: string }): string {
  return contact.name?.trim() || `Messenger user ${contact.psid.slice(-4)}`;
}
