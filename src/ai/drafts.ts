// Suggested replies waiting in a conversation's composer (the only writer of ai_drafts): one per
// conversation, replaced by the next, removed once staff send or dismiss it. Erased with the
// conversation (ON DELETE CASCADE).
import type { Queryable } from '../core/db';

export interface Draft {
  text: string;
  created_at: number;
}

export async function saveDraft(db: Queryable, conversationId: number, text: string): Promise<void> {
  await db.run(
    `INSERT INTO ai_drafts (conversation_id, text, created_at) VALUES (?, ?, ?)
     ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text, created_at = excluded.created_at`,
    [conversationId, text, Date.now()],
  );
}

export async function draftOf(db: Queryable, conversationId: number): Promise<Draft | undefined> {
  return db.get<Draft>('SELECT text, created_at FROM ai_drafts WHERE conversation_id = ?', [conversationId]);
}

export async function dropDraft(db: Queryable, conversationId: number): Promise<void> {
  await db.run('DELETE FROM ai_drafts WHERE conversation_id = ?', [conversationId]);
}
