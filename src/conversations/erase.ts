// Erasing a person: their contact, conversation, messages, notes and files, in the caller's
// transaction (privacy/deletions.ts wraps it with the other tables that mention them). Deleting the
// contact cascades to everything below it (foreign keys), and the search index's triggers take the
// deleted text out of the index; secure_delete overwrites the freed bytes (core/db.ts).
//
// Afterwards the person is remembered only as a hash in erased_people for a while, so that Meta's
// late retries of events from before the erasure cannot bring them back (see threads' users: the
// webhook's ConversationWriter.prefetch reads it).
import type { Db, Queryable } from '../core/db';
import { conversationChanged } from './changes';
import { personHash } from './erased';
import type { Person } from './threads';
import type { ConversationWriter } from './writer';

/** How long an erased person's old events are refused: Meta retries for at most 36 hours. */
export const ERASED_GUARD_MS = 7 * 24 * 3600 * 1000;

/** What was erased: counts for the tombstone, and the references other tables hold to clean up. */
export interface Erased {
  person: Person;
  conversationIds: number[];
  /** The `mid`s of the person's messages (webhook receipts name them). */
  mids: string[];
  attachmentIds: number[];
  counts: { conversations: number; messages: number; notes: number; attachments: number };
}

/** Erases the contact and all below it; undefined when there is no such contact (erased before). */
export async function erasePerson(w: ConversationWriter, contactId: number, now = Date.now()): Promise<Erased | undefined> {
  const tx = w.tx;
  const contact = await tx.get<{ page_id: string; psid: string }>('SELECT page_id, psid FROM contacts WHERE id = ?', [contactId]);
  if (!contact) return undefined;
  const conversationIds = (await tx.all<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [contactId])).map(
    (r) => r.id,
  );
  const inConversations = `conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?)`;
  const counts = await tx.get<{ messages: number; notes: number }>(
    `SELECT count(*) - total(kind = 'note') AS messages, total(kind = 'note') AS notes FROM messages WHERE ${inConversations}`,
    [contactId],
  );
  const mids = (
    await tx.all<{ mid: string }>(`SELECT mid FROM messages WHERE ${inConversations} AND mid IS NOT NULL`, [contactId])
  ).map((r) => r.mid);
  const attachmentIds = (
    await tx.all<{ id: number }>(
      `SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.${inConversations}`,
      [contactId],
    )
  ).map((r) => r.id);
  // Messages first, explicitly: their delete triggers take them out of the search index; then the
  // contact, whose cascade takes the conversation, its labels and the outbox rows with it. The
  // index's own secure-delete, which rewrites index pages row by row (a minute for 10,000 messages),
  // is off for this one statement: the index pages that still name the erased words are rewritten
  // afterwards, all at once (purgeErasedWords).
  await tx.run("INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 0)");
  await tx.run(`DELETE FROM messages WHERE ${inConversations}`, [contactId]);
  await tx.run("INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1)");
  await tx.run('DELETE FROM contacts WHERE id = ?', [contactId]);
  await tx.run(
    `INSERT INTO erased_people (person, erased_at, forget_at) VALUES (?, ?, ?)
     ON CONFLICT (person) DO UPDATE SET erased_at = excluded.erased_at, forget_at = excluded.forget_at`,
    [personHash(contact.page_id, contact.psid), now, now + ERASED_GUARD_MS],
  );
  for (const id of conversationIds) conversationChanged(w.outcome, id);
  return {
    person: { pageId: contact.page_id, psid: contact.psid },
    conversationIds,
    mids,
    attachmentIds,
    counts: {
      conversations: conversationIds.length,
      messages: counts?.messages ?? 0,
      notes: counts?.notes ?? 0,
      attachments: attachmentIds.length,
    },
  };
}

/** Index pages rewritten per step: each step holds the write lock for a fraction of a second. */
const MERGE_PAGES_PER_STEP = 200;

/**
 * Rewrites the search index into one segment, a step at a time, dropping every entry of a deleted
 * row for good (before, a deleted row's words stay in the index's older pages, only marked as
 * deleted). Other writes (the webhook's) go in between the steps. Returns false when `signal`
 * stopped it first. https://sqlite.org/fts5.html#the_merge_command
 */
export async function purgeErasedWords(db: Db, signal?: AbortSignal): Promise<boolean> {
  for (;;) {
    if (signal?.aborted) return false; // stopping: the rest is done after the next start
    const merged = await db.transaction(async (tx) => {
      const before = (await tx.get<{ n: number }>('SELECT total_changes() AS n'))!.n;
      await tx.run(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', -${MERGE_PAGES_PER_STEP})`);
      return (await tx.get<{ n: number }>('SELECT total_changes() AS n'))!.n - before;
    });
    if (merged < 2) return true; // nothing left to merge
  }
}

/** Drops the guards whose time is up (Meta stopped retrying long ago). */
export async function forgetErased(db: Queryable, now = Date.now()): Promise<number> {
  return (await db.run('DELETE FROM erased_people WHERE forget_at <= ?', [now])).changes;
}
