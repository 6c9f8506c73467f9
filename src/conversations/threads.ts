// A thread is a person and their conversation: one contact per (Page, PSID), one conversation per
// contact. Messenger events find or create them here; nothing else inserts contacts or conversations.
import type { Queryable } from '../core/db';

export interface Thread {
  contactId: number;
  conversationId: number;
}

export interface Person {
  pageId: string;
  psid: string;
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

/** People per lookup statement: two parameters each, far below SQLite's limit. */
const LOOKUPS_PER_STATEMENT = 400;

/** The threads of many people at once (every sender of a webhook batch), keyed by threadKey. */
export async function findThreads(db: Queryable, people: Person[]): Promise<Map<string, Thread>> {
  const found = new Map<string, Thread>();
  for (let i = 0; i < people.length; i += LOOKUPS_PER_STATEMENT) {
    const chunk = people.slice(i, i + LOOKUPS_PER_STATEMENT);
    const rows = await db.all<{ page_id: string; psid: string; contact_id: number; conversation_id: number }>(
      `SELECT k.page_id, k.psid, k.id AS contact_id, c.id AS conversation_id FROM contacts k JOIN conversations c ON c.contact_id = k.id
       WHERE ${chunk.map(() => '(k.page_id = ? AND k.psid = ?)').join(' OR ')}`,
      chunk.flatMap((p) => [p.pageId, p.psid]),
    );
    for (const r of rows) found.set(threadKey(r.page_id, r.psid), { contactId: r.contact_id, conversationId: r.conversation_id });
  }
  return found;
}

/** People per insert statement: four parameters each, far below SQLite's limit. */
const PEOPLE_PER_STATEMENT = 100;

/**
 * New contacts and their conversations, many at once (the new people of a webhook batch): two
 * statements per hundred people. None of them may exist yet. `at` is their first event's time.
 */
export async function createThreads(db: Queryable, people: (Person & { at: number })[]): Promise<Map<string, Thread>> {
  const threads = new Map<string, Thread>();
  const unique = new Map<string, Person & { at: number }>();
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
