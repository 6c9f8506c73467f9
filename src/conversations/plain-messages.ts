// Plain inbound messages (text, quick replies, replies; no attachments) are most of what Meta
// sends. Written one statement each, every message costs a round trip to SQLite's thread, and at
// webhook rates those round trips are the bottleneck. So a webhook batch collects them here and
// writes them with one INSERT, and their conversations with one UPDATE. The writer flushes before
// any other kind of write, so events still apply in the order Meta sent them; people writing for
// the first time are created together just before their messages (ConversationWriter.flushPlain).
import type { Queryable } from '../core/db';
import { touchConversations } from './activity';
import { messageCreated, type Outcome } from './changes';
import { threadKey } from './threads';

export interface PlainMessage {
  /** The outcome of the work (webhook body) the message came in. */
  outcome: Outcome;
  pageId: string;
  psid: string;
  /** Unknown when the sender is new: their thread is created at the flush. */
  conversationId?: number;
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

  /** The senders without a thread yet, each once, with their first message (its time, its outcome). */
  newcomers(): PlainMessage[] {
    const first = new Map<string, PlainMessage>();
    for (const row of this.rows) {
      const key = threadKey(row.pageId, row.psid);
      if (row.conversationId === undefined && !first.has(key)) first.set(key, row);
    }
    return [...first.values()];
  }

  /**
   * Writes what was collected; a mid seen before (a retry, or twice in one batch) counts as a
   * duplicate. `conversationOf` names the conversation of a sender that was new when collected.
   */
  async flush(
    db: Queryable,
    conversationOf: (pageId: string, psid: string) => number,
  ): Promise<{ conversationId: number; messageId: number }[]> {
    const rows = this.rows.map((r) => ({ ...r, conversationId: r.conversationId ?? conversationOf(r.pageId, r.psid) }));
    this.rows = [];
    const stored: { conversationId: number; messageId: number }[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
      stored.push(...(await insert(db, rows.slice(i, i + ROWS_PER_STATEMENT))));
    return stored;
  }
}

async function insert(
  db: Queryable,
  rows: (PlainMessage & { conversationId: number })[],
): Promise<{ conversationId: number; messageId: number }[]> {
  const now = Date.now();
  const inserted = await db.all<{ id: number; mid: string }>(
    `INSERT INTO messages (conversation_id, mid, direction, kind, text, status, sent_by, quick_reply, reply_to_mid,
       created_at, received_at)
     VALUES ${rows.map(() => "(?, ?, 'in', 'message', ?, 'received', 'contact', ?, ?, ?, ?)").join(', ')}
     ON CONFLICT (mid) DO NOTHING RETURNING id, mid`,
    rows.flatMap((r) => [r.conversationId, r.mid, r.text, r.quickReply, r.replyTo, r.at, now]),
  );
  const ids = new Map(inserted.map((r) => [r.mid, r.id]));
  const stored: (typeof rows)[number][] = [];
  const created: { conversationId: number; messageId: number }[] = [];
  for (const row of rows) {
    const id = ids.get(row.mid);
    if (id === undefined) {
      row.outcome.duplicates++;
      continue;
    }
    ids.delete(row.mid); // the same mid again later in this batch is the duplicate
    messageCreated(row.outcome, row.conversationId, id);
    stored.push(row);
    created.push({ conversationId: row.conversationId, messageId: id });
  }
  await touchConversations(
    db,
    stored.map((r) => ({ conversationId: r.conversationId, at: r.at, direction: 'in', preview: r.preview })),
  );
  return created;
}
