// Writes about the person behind a conversation (their name as Meta gives it).
import type { Queryable } from '../core/db';
import { conversationChanged } from './changes';
import type { ConversationWriter } from './writer';

/**
 * The profile lookup ended: the name Meta gave, or none (it will not say). Open lists show it at
 * once. One statement (Conversations.writeOne).
 */
export async function setProfileName(w: ConversationWriter, contactId: number, name: string | undefined): Promise<void> {
  const clean = name?.trim() || null;
  const row = await w.tx.get<{ conversation_id: number | null }>(
    `UPDATE contacts SET name = COALESCE(?, name), profile_state = ?, updated_at = ? WHERE id = ?
     RETURNING (SELECT id FROM conversations WHERE contact_id = contacts.id) AS conversation_id`,
    [clean, clean ? 'fetched' : 'unavailable', Date.now(), contactId],
  );
  if (row?.conversation_id) conversationChanged(w.outcome, row.conversation_id);
}

/** Who a contact is on Messenger (their Page-scoped id), for the profile lookup. */
export function contactPsid(db: Queryable, contactId: number): Promise<{ id: number; psid: string } | undefined> {
  return db.get('SELECT id, psid FROM contacts WHERE id = ?', [contactId]);
}
