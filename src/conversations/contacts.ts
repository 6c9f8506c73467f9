// Writes about the person behind a conversation (their name as Meta gives it).
import type { Queryable } from '../core/db';
import { conversationChanged } from './changes';
import type { ConversationWriter } from './writer';

/** The profile lookup ended: the name Meta gave, or none (it will not say). Open lists show it at once. */
export async function setProfileName(w: ConversationWriter, contactId: number, name: string | undefined): Promise<void> {
  const clean = name?.trim() || null;
  await w.tx.run('UPDATE contacts SET name = COALESCE(?, name), profile_state = ?, updated_at = ? WHERE id = ?', [
    clean,
    clean ? 'fetched' : 'unavailable',
    Date.now(),
    contactId,
  ]);
  const conversation = await w.tx.get<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [contactId]);
  if (conversation) conversationChanged(w.outcome, conversation.id);
}

/** Who a contact is on Messenger (their Page-scoped id), for the profile lookup. */
export function contactPsid(db: Queryable, contactId: number): Promise<{ id: number; psid: string } | undefined> {
  return db.get('SELECT id, psid FROM contacts WHERE id = ?', [contactId]);
}
