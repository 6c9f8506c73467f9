// What staff do to a conversation: status, assignment, labels, snooze, mark unread, private notes.
// Each change is committed, then announced on the bus so every open tab updates.
import type { Bus } from '../core/bus';
import type { Db, Queryable } from '../core/db';
import { badRequest, notFound } from '../core/errors';
import { STATUSES, type ConversationStatus } from './conversations';

async function exists(db: Queryable, conversationId: number): Promise<void> {
  if (!(await db.get('SELECT id FROM conversations WHERE id = ?', [conversationId])))
    throw notFound('That conversation does not exist.');
}

export class Workflow {
  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
  ) {}

  private changed(conversationId: number): void {
    this.bus.emit('conversation', { conversationId });
  }

  async setStatus(conversationId: number, status: string): Promise<void> {
    if (!STATUSES.includes(status as ConversationStatus) || status === 'snoozed') {
      throw badRequest('invalid-status', 'Choose open, pending or resolved (snooze has its own time).');
    }
    await exists(this.db, conversationId);
    await this.db.run('UPDATE conversations SET status = ?, snoozed_until = NULL, updated_at = ? WHERE id = ?', [
      status,
      Date.now(),
      conversationId,
    ]);
    this.changed(conversationId);
  }

  async assign(conversationId: number, assigneeId: number | null): Promise<void> {
    await exists(this.db, conversationId);
    if (assigneeId !== null && !(await this.db.get("SELECT id FROM users WHERE id = ? AND status = 'active'", [assigneeId]))) {
      throw badRequest('invalid-assignee', 'Assign to an active user.');
    }
    await this.db.run('UPDATE conversations SET assignee_id = ?, updated_at = ? WHERE id = ?', [
      assigneeId,
      Date.now(),
      conversationId,
    ]);
    this.changed(conversationId);
  }

  /** Replying to an unassigned conversation makes it yours. */
  async selfAssignIfUnassigned(conversationId: number, userId: number): Promise<void> {
    const { changes } = await this.db.run('UPDATE conversations SET assignee_id = ? WHERE id = ? AND assignee_id IS NULL', [
      userId,
      conversationId,
    ]);
    if (changes) this.changed(conversationId);
  }

  async addLabel(conversationId: number, name: string): Promise<void> {
    const clean = name.trim().replace(/\s+/g, ' ');
    if (!clean || clean.length > 40) throw badRequest('invalid-label', 'A label is 1 to 40 characters.');
    await exists(this.db, conversationId);
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT OR IGNORE INTO labels (name) VALUES (?)', [clean]);
      const label = await tx.get<{ id: number }>('SELECT id FROM labels WHERE name = ?', [clean]);
      await tx.run('INSERT OR IGNORE INTO conversation_labels (conversation_id, label_id) VALUES (?, ?)', [
        conversationId,
        label!.id,
      ]);
    });
    this.changed(conversationId);
  }

  async removeLabel(conversationId: number, labelId: number): Promise<void> {
    await this.db.run('DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = ?', [conversationId, labelId]);
    this.changed(conversationId);
  }

  async snooze(conversationId: number, until: number): Promise<void> {
    if (!Number.isFinite(until) || until <= Date.now()) throw badRequest('invalid-snooze', 'Choose a time in the future.');
    await exists(this.db, conversationId);
    await this.db.run("UPDATE conversations SET status = 'snoozed', snoozed_until = ?, updated_at = ? WHERE id = ?", [
      until,
      Date.now(),
      conversationId,
    ]);
    this.changed(conversationId);
  }

  /** Run by a cron job: snoozed conversations whose time has come are open again. */
  async wakeSnoozed(now = Date.now()): Promise<number> {
    const due = await this.db.all<{ id: number }>(
      "SELECT id FROM conversations WHERE status = 'snoozed' AND snoozed_until <= ?",
      [now],
    );
    for (const { id } of due) {
      await this.db.run(
        "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = ? WHERE id = ? AND status = 'snoozed'",
        [now, id],
      );
      this.changed(id);
    }
    return due.length;
  }

  async markUnread(conversationId: number): Promise<void> {
    await exists(this.db, conversationId);
    await this.db.run('UPDATE conversations SET unread_count = MAX(unread_count, 1) WHERE id = ?', [conversationId]);
    this.changed(conversationId);
  }

  /** Returns whether there was anything unread (then Messenger gets mark_seen). */
  async markRead(conversationId: number): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE conversations SET unread_count = 0 WHERE id = ? AND unread_count > 0', [
      conversationId,
    ]);
    if (changes) this.changed(conversationId);
    return changes > 0;
  }

  /** A private note: stored between the messages, never sent to the customer. */
  async addNote(conversationId: number, userId: number, text: string): Promise<number> {
    const clean = text.trim();
    if (!clean) throw badRequest('empty-note', 'Write something in the note.');
    if (clean.length > 20000) throw badRequest('note-too-long', 'Keep a note under 20,000 characters.');
    await exists(this.db, conversationId);
    const now = Date.now();
    const { lastID } = await this.db.run(
      `INSERT INTO messages (conversation_id, direction, kind, text, status, sent_by, sent_by_user_id, created_at, received_at)
       VALUES (?, 'out', 'note', ?, 'note', 'user', ?, ?, ?)`,
      [conversationId, clean, userId, now, now],
    );
    this.bus.emit('message', { conversationId, messageId: lastID, change: 'created' });
    return lastID;
  }
}
