// What a live change needs from the database (its conversation row, the message, counts), loaded
// once per change and shared by every tab that receives it (see live.ts).
import type { Db } from '../core/db';
import { counts, inboxRow, unreadTotal, type InboxRow } from './list';
import { listMessages, type AttachmentRow, type MessageRow } from './messages';

/** A message as the conversation view renders it. */
export type Rendered = MessageRow & { attachments: AttachmentRow[] };

/** Rows and messages loaded once per change, however many tabs receive it. */
export class SharedLoads {
  private rows = new Map<number, Promise<InboxRow | undefined>>();
  private messages = new Map<number, Promise<Rendered | undefined>>();
  private unreadCount?: Promise<number>;
  private activeUsers?: Promise<{ id: number; name: string; email: string }[]>;

  constructor(private readonly db: Db) {}

  row(id: number): Promise<InboxRow | undefined> {
    if (!this.rows.has(id)) this.rows.set(id, inboxRow(this.db, id));
    return this.rows.get(id)!;
  }

  message(id: number): Promise<Rendered | undefined> {
    if (!this.messages.has(id)) this.messages.set(id, loadMessage(this.db, id));
    return this.messages.get(id)!;
  }

  private statusCounts?: ReturnType<typeof counts>;

  counts(): ReturnType<typeof counts> {
    this.statusCounts ??= counts(this.db);
    return this.statusCounts;
  }

  unread(): Promise<number> {
    this.unreadCount ??= unreadTotal(this.db);
    return this.unreadCount;
  }

  /** The assignee choices of the conversation header (the same query as the page's). */
  users(): Promise<{ id: number; name: string; email: string }[]> {
    this.activeUsers ??= this.db.all("SELECT id, name, email FROM users WHERE status = 'active' ORDER BY name, email");
    return this.activeUsers;
  }
}

async function loadMessage(db: Db, messageId: number): Promise<Rendered | undefined> {
  const row = await db.get<{ conversation_id: number }>('SELECT conversation_id FROM messages WHERE id = ?', [messageId]);
  if (!row) return undefined;
  const list = await listMessages(db, row.conversation_id, { includeNotes: true, onlyId: messageId });
  return list[0];
}
