// Contact queries: the people who wrote to the Page, and everything a person's page shows.
import type { Queryable } from '../core/db';
import { parseFields } from '../conversations/contacts';
import { leadOfContact } from './leads';

export interface ContactRow {
  id: number;
  name: string | null;
  psid: string;
  lead_stage: string | null;
  created_at: number;
  last_message_at: number | null;
}

/** Newest activity first; `q` finds a name (the displayed or the Messenger one), an email, a phone or a PSID. */
export function listContacts(db: Queryable, options: { q?: string; limit?: number } = {}): Promise<ContactRow[]> {
  const q = options.q?.trim();
  const like = q ? `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : '';
  return db.all<ContactRow>(
    // The stage is the lead's (src/crm/leads.ts); contacts.lead_stage is a legacy column nothing reads.
    `SELECT k.id, k.name, k.psid, (SELECT s.name FROM leads l JOIN lead_stages s ON s.id = l.stage_id WHERE l.contact_id = k.id) AS lead_stage,
            k.created_at, c.last_message_at
     FROM contacts k LEFT JOIN conversations c ON c.contact_id = k.id
     ${
       q
         ? `WHERE k.name LIKE ?1 ESCAPE '\\' OR k.messenger_name LIKE ?1 ESCAPE '\\' OR k.email LIKE ?1 ESCAPE '\\'
              OR k.phone LIKE ?1 ESCAPE '\\' OR k.psid = ?2`
         : ''
     }
     ORDER BY COALESCE(c.last_message_at, k.created_at) DESC
     LIMIT ${q ? '?3' : '?'}`,
    q ? [like, q, options.limit ?? 100] : [options.limit ?? 100],
  );
}

export interface ContactConversation {
  id: number;
  status: string;
  last_message_at: number | null;
  created_at: number;
}

export interface ContactLabel {
  name: string;
  color: string;
}

/** One person as their page and the API show them. */
export interface ContactDetail {
  id: number;
  psid: string;
  /** The displayed name (corrected, or the Messenger one); null while nobody knows it. */
  name: string | null;
  messengerName: string | null;
  nameCorrectedAt: number | null;
  profileState: 'pending' | 'fetched' | 'unavailable';
  phone: string | null;
  email: string | null;
  fields: Record<string, string>;
  /** Their lead (src/crm/leads.ts): stage null while they are not one; the source is the contact's (kept at ingest). */
  lead: {
    stage: string | null;
    source: string | null;
    valueCents: number | null;
    expectedClose: string | null;
    ownerId: number | null;
    lostReason: string | null;
  };
  /** The person asked not to be answered by AI (the switch on their page). */
  noAi: boolean;
  createdAt: number;
  updatedAt: number;
  conversations: ContactConversation[];
  /** The labels of their conversation(s), each once. */
  labels: ContactLabel[];
}

export async function getContact(db: Queryable, id: number): Promise<ContactDetail | undefined> {
  const row = await db.get<{
    id: number;
    psid: string;
    name: string | null;
    messenger_name: string | null;
    name_corrected_at: number | null;
    profile_state: ContactDetail['profileState'];
    phone: string | null;
    email: string | null;
    fields: string;
    lead_source: string | null;
    no_ai: number;
    created_at: number;
    updated_at: number;
  }>(
    `SELECT id, psid, name, messenger_name, name_corrected_at, profile_state, phone, email, fields, lead_source,
            no_ai, created_at, updated_at
     FROM contacts WHERE id = ?`,
    [id],
  );
  if (!row) return undefined;
  const [conversations, labels, lead] = await Promise.all([
    db.all<ContactConversation>(
      'SELECT id, status, last_message_at, created_at FROM conversations WHERE contact_id = ? ORDER BY created_at',
      [id],
    ),
    db.all<ContactLabel>(
      `SELECT DISTINCT l.name, l.color FROM conversations c
       JOIN conversation_labels cl ON cl.conversation_id = c.id JOIN labels l ON l.id = cl.label_id
       WHERE c.contact_id = ? ORDER BY l.name`,
      [id],
    ),
    leadOfContact(db, id),
  ]);
  return {
    id: row.id,
    psid: row.psid,
    name: row.name,
    messengerName: row.messenger_name,
    nameCorrectedAt: row.name_corrected_at,
    profileState: row.profile_state,
    phone: row.phone,
    email: row.email,
    fields: parseFields(row.fields),
    lead: {
      stage: lead?.stage.name ?? null,
      source: row.lead_source,
      valueCents: lead?.valueCents ?? null,
      expectedClose: lead?.expectedClose ?? null,
      ownerId: lead?.ownerId ?? null,
      lostReason: lead?.lostReason ?? null,
    },
    noAi: row.no_ai === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    conversations,
    labels,
  };
}
