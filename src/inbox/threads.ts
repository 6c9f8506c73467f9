// Contacts and their conversations as Messenger events create and touch them.
// One contact per (Page, PSID); one conversation per contact; a new inbound message reopens it.
import type { Queryable } from '../core/db';

export interface Thread {
  contactId: number;
  conversationId: number;
}

/** How a person is known within a batch of webhook events. */
export const threadKey = (pageId: string, psid: string) => `${pageId}:${psid}`;

export async function findThread(db: Queryable, pageId: string, psid: string): Promise<Thread | undefined> {
  const row = await db.get<{ contact_id: number; conversation_id: number }>(
    `SELECT k.id AS contact_id, c.id AS conversation_id
     FROM contacts k JOIN conversations c ON c.contact_id = k.id WHERE k.page_id = ? AND k.psid = ?`,
    [pageId, psid],
  );
  return row ? { contactId: row.contact_id, conversationId: row.conversation_id } : undefined;
}

/** A new contact and their conversation; the caller knows they do not exist yet. */
export async function createThread(db: Queryable, pageId: string, psid: string, at: number): Promise<Thread> {
  return (await createThreads(db, [{ pageId, psid, at }])).get(threadKey(pageId, psid))!;
}

/** People per statement: four parameters each, far below SQLite's limit. */
const PEOPLE_PER_STATEMENT = 100;

/**
 * New contacts and their conversations, many at once (the new people of a webhook batch): two
 * statements per hundred people. None of them may exist yet. `at` is their first event's time.
 */
export async function createThreads(
  db: Queryable,
  people: { pageId: string; psid: string; at: number }[],
): Promise<Map<string, Thread>> {
  const threads = new Map<string, Thread>();
  const unique = new Map<string, { pageId: string; psid: string; at: number }>();
  for (const p of people) if (!unique.has(threadKey(p.pageId, p.psid))) unique.set(threadKey(p.pageId, p.psid), p);
  const list = [...unique.values()];
  const now = Date.now();
  for (let i = 0; i < list.length; i += PEOPLE_PER_STATEMENT) {
    const chunk = list.slice(i, i + PEOPLE_PER_STATEMENT);
    const contacts = await db.all<{ id: number; page_id: string; psid: string }>(
      `INSERT INTO contacts (page_id, psid, created_at, updated_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}
       RETURNING id, page_id, psid`,
      chunk.flatMap((p) => [p.pageId, p.psid, now, now]),
    );
    const contactIds = new Map(contacts.map((c) => [threadKey(c.page_id, c.psid), c.id]));
    const conversations = await db.all<{ id: number; contact_id: number }>(
      `INSERT INTO conversations (page_id, contact_id, status, created_at, updated_at, last_message_at)
       VALUES ${chunk.map(() => "(?, ?, 'open', ?, ?, ?)").join(', ')} RETURNING id, contact_id`,
      chunk.flatMap((p) => [p.pageId, contactIds.get(threadKey(p.pageId, p.psid))!, now, now, p.at]),
    );
    const conversationIds = new Map(conversations.map((c) => [c.contact_id, c.id]));
    for (const [key, contactId] of contactIds) threads.set(key, { contactId, conversationId: conversationIds.get(contactId)! });
  }
  return threads;
}

export function preview(text: string | null | undefined, attachmentType?: string): string {
  if (text && text.trim()) return text.trim().replace(/\s+/g, ' ').slice(0, 140);
  if (attachmentType)
    return attachmentType === 'image' ? '📷 Photo' : attachmentType === 'sticker' ? 'Sticker' : `📎 ${attachmentType}`;
  return '';
}

/** A new message, as its conversation records it. */
export interface Touch {
  conversationId: number;
  at: number;
  direction: 'in' | 'out';
  preview: string;
  countsAsUnread?: boolean;
}

/**
 * Records a new message on its conversation. Inbound messages reopen a resolved or snoozed
 * conversation and count as unread; the list order follows the newest message time.
 */
export async function touchConversation(db: Queryable, conversationId: number, message: Omit<Touch, 'conversationId'>) {
  await touchConversations(db, [{ conversationId, ...message }]);
}

/** Conversations touched per statement; five parameters each, far below SQLite's limit. */
const TOUCHES_PER_STATEMENT = 100;

/**
 * Records many messages at once (a webhook batch): one statement per hundred conversations, with
 * the same outcome as touching them one at a time in order: the newest message (the later one on
 * a tie) gives the preview, every counted inbound message adds to unread.
 */
export async function touchConversations(db: Queryable, touches: Touch[]): Promise<void> {
  const merged = new Map<number, { at: number; preview: string; inboundAt: number | null; unread: number }>();
  for (const t of touches) {
    const m = merged.get(t.conversationId) ?? { at: -Infinity, preview: '', inboundAt: null, unread: 0 };
    if (t.at >= m.at) Object.assign(m, { at: t.at, preview: t.preview });
    if (t.direction === 'in') {
      m.inboundAt = Math.max(m.inboundAt ?? t.at, t.at);
      if (t.countsAsUnread !== false) m.unread++;
    }
    merged.set(t.conversationId, m);
  }
  const rows = [...merged];
  for (let i = 0; i < rows.length; i += TOUCHES_PER_STATEMENT) {
    const chunk = rows.slice(i, i + TOUCHES_PER_STATEMENT);
    await db.run(
      `WITH v (id, at, preview, inbound_at, unread) AS (VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')})
       UPDATE conversations SET
         last_message_preview = CASE WHEN v.at >= COALESCE(last_message_at, 0) THEN v.preview ELSE last_message_preview END,
         last_message_at = MAX(COALESCE(last_message_at, 0), v.at),
         last_inbound_at = CASE WHEN v.inbound_at IS NOT NULL THEN MAX(COALESCE(last_inbound_at, 0), v.inbound_at)
           ELSE last_inbound_at END,
         unread_count = unread_count + v.unread,
         status = CASE WHEN v.inbound_at IS NOT NULL AND status IN ('resolved', 'snoozed') THEN 'open' ELSE status END,
         snoozed_until = CASE WHEN v.inbound_at IS NOT NULL AND status = 'snoozed' THEN NULL ELSE snoozed_until END,
         updated_at = ?
       FROM v WHERE conversations.id = v.id`,
      [...chunk.flatMap(([id, m]) => [id, m.at, m.preview, m.inboundAt, m.unread]), Date.now()],
    );
  }
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
