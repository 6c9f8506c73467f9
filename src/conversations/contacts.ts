// Writes about the person behind a conversation: the name Meta gives (the profile lookup) and the
// details staff correct and complete (the correction right; the rules are in contact-details.ts).
import type { Queryable } from '../core/db';
import { notFound } from '../core/errors';
import { conversationChanged } from './changes';
import type { ContactChange, DetailField } from './contact-details';
import type { ConversationWriter } from './writer';

/**
 * The profile lookup ended: the name Meta gave, or none (it will not say). It is always recorded as
 * the Messenger name, and displayed unless staff corrected the name (a correction stays). Open lists
 * show it at once. One statement (Conversations.writeOne).
 */
export async function setProfileName(w: ConversationWriter, contactId: number, name: string | undefined): Promise<void> {
  const clean = name?.trim() || null;
  const row = await w.tx.get<{ conversation_id: number | null }>(
    `UPDATE contacts SET messenger_name = COALESCE(?1, messenger_name),
       name = CASE WHEN name_corrected_at IS NULL THEN COALESCE(?1, name) ELSE name END,
       profile_state = ?2, updated_at = ?3 WHERE id = ?4
     RETURNING (SELECT id FROM conversations WHERE contact_id = contacts.id) AS conversation_id`,
    [clean, clean ? 'fetched' : 'unavailable', Date.now(), contactId],
  );
  if (row?.conversation_id) conversationChanged(w.outcome, row.conversation_id);
}

interface StoredDetails {
  name: string | null;
  messenger_name: string | null;
  name_corrected_at: number | null;
  phone: string | null;
  email: string | null;
  fields: string;
  conversation_id: number | null;
}

/** Whether two sets of custom fields hold the same, whatever their order. */
function sameFields(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

/**
 * Applies a checked change (checkContactChange) to a person's details and returns the names of the
 * fields that really changed (for the audit log: names, never values). A name equal to the one
 * Messenger gave, or none, is no correction: the Messenger name is shown, and later lookups update it.
 * A corrected name reaches the lists, the search index (its triggers) and open tabs at once.
 */
export async function correctContact(w: ConversationWriter, contactId: number, change: ContactChange): Promise<DetailField[]> {
  const now = Date.now();
  const current = await w.tx.get<StoredDetails>(
    `SELECT name, messenger_name, name_corrected_at, phone, email, fields,
            (SELECT id FROM conversations WHERE contact_id = contacts.id) AS conversation_id
     FROM contacts WHERE id = ?`,
    [contactId],
  );
  if (!current) throw notFound('That contact does not exist.');
  const next = { ...current };
  const changed: DetailField[] = [];
  if (change.name !== undefined) {
    const corrected = change.name !== null && change.name !== current.messenger_name;
    const name = corrected ? change.name : current.messenger_name;
    if (name !== current.name || corrected !== (current.name_corrected_at !== null)) {
      changed.push('name');
      next.name = name;
      next.name_corrected_at = corrected ? now : null;
    }
  }
  for (const field of ['phone', 'email'] as const) {
    const value = change[field];
    if (value !== undefined && value !== current[field]) {
      changed.push(field);
      next[field] = value;
    }
  }
  if (change.fields !== undefined && !sameFields(change.fields, parseFields(current.fields))) {
    changed.push('fields');
    next.fields = JSON.stringify(change.fields);
  }
  if (changed.length === 0) return changed;
  await w.tx.run(
    'UPDATE contacts SET name = ?, name_corrected_at = ?, phone = ?, email = ?, fields = ?, updated_at = ? WHERE id = ?',
    [next.name, next.name_corrected_at, next.phone, next.email, next.fields, now, contactId],
  );
  if (changed.includes('name') && current.conversation_id) conversationChanged(w.outcome, current.conversation_id);
  return changed;
}

/** The stored custom fields (a JSON object of strings, see migrations/0013_contact_details.sql). */
export function parseFields(stored: string | null): Record<string, string> {
  try {
    const value: unknown = JSON.parse(stored ?? '{}');
    if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/** Who a contact is on Messenger (their Page-scoped id), for the profile lookup. */
export function contactPsid(db: Queryable, contactId: number): Promise<{ id: number; psid: string } | undefined> {
  return db.get('SELECT id, psid FROM contacts WHERE id = ?', [contactId]);
}
