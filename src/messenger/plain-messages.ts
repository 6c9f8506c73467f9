// Plain inbound messages (text, quick replies, replies; no attachments) are most of what Meta
// sends. Written one statement each, every message costs a round trip to SQLite's thread, and at
// webhook rates those round trips are the bottleneck. So a webhook batch collects them here and
// writes them with one INSERT, and their conversations with one UPDATE. Ingest flushes before any
// other kind of event, so events still apply in the order Meta sent them.
import type { Queryable } from '../core/db';
import { touchConversations } from '../inbox/threads';
import type { IngestResult } from './ingest';

export interface PlainMessage {
  /** The result of the body the message came in. */
  result: IngestResult;
  conversationId: number;
  mid: string;
  text: string | null;
  quickReply: string | null;
  replyTo: string | null;
  at: number;
  preview: string;
}

/** Messages per INSERT: seven parameters each, far below SQLite's limit. */
const ROWS_PER_STATEMENT = 100;

export class PlainMessages {
  private rows: PlainMessage[] = [];

  add(row: PlainMessage): void {
    this.rows.push(row);
  }

  /** Writes what was collected; a mid seen before (a retry, or twice in one batch) counts as a duplicate. */
  async flush(db: Queryable): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await this.insert(db, rows.slice(i, i + ROWS_PER_STATEMENT));
  }

  private async insert(db: Queryable, rows: PlainMessage[]): Promise<void> {
    const now = Date.now();
    const inserted = await db.all<{ id: number; mid: string }>(
      `INSERT INTO messages (conversation_id, mid, direction, kind, text, status, sent_by, quick_reply, reply_to_mid,
         created_at, received_at)
       VALUES ${rows.map(() => "(?, ?, 'in', 'message', ?, 'received', 'contact', ?, ?, ?, ?)").join(', ')}
       ON CONFLICT (mid) DO NOTHING RETURNING id, mid`,
      rows.flatMap((r) => [r.conversationId, r.mid, r.text, r.quickReply, r.replyTo, r.at, now]),
    );
    const ids = new Map(inserted.map((r) => [r.mid, r.id]));
    const stored: PlainMessage[] = [];
    for (const row of rows) {
      const id = ids.get(row.mid);
      if (id === undefined) {
        row.result.duplicates++;
        continue;
      }
      ids.delete(row.mid); // the same mid again later in this batch is the duplicate
      row.result.stored++;
      row.result.conversations.add(row.conversationId);
      row.result.messages.push({ conversationId: row.conversationId, messageId: id, change: 'created' });
      stored.push(row);
    }
    await touchConversations(
      db,
      stored.map((r) => ({ conversationId: r.conversationId, at: r.at, direction: 'in', preview: r.preview })),
    );
  }
}
