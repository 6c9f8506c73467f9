// Contact queries: the people who wrote to the Page.
import type { Queryable } from '../core/db';

export interface ContactRow {
  id: number;
  name: string | null;
  psid: string;
  lead_stage: string | null;
  created_at: number;
  last_message_at: number | null;
}

export function listContacts(db: Queryable, options: { q?: string; limit?: number } = {}): Promise<ContactRow[]> {
  const q = options.q?.trim();
  return db.all<ContactRow>(
    `SELECT k.id, k.name, k.psid, k.lead_stage, k.created_at, c.last_message_at
     FROM contacts k LEFT JOIN conversations c ON c.contact_id = k.id
     ${q ? "WHERE k.name LIKE ? ESCAPE '\\' OR k.psid = ?" : ''}
     ORDER BY COALESCE(c.last_message_at, k.created_at) DESC
     LIMIT ?`,
    q ? [`%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`, q, options.limit ?? 100] : [options.limit ?? 100],
  );
}
