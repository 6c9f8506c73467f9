// What staff do to a conversation: status, assignment, labels, snooze, read and unread, private
// notes. The web routes (one conversation or a bulk selection), the JSON API and the cron job that
// wakes snoozed conversations all come here, so every change follows the same rules, is announced to
// every open tab and leaves an activity line in the thread (events.ts).
import { badRequest, notFound } from '../core/errors';
import { aiReady } from './ai-state';
import { conversationChanged } from './changes';
import { recordEvent } from './events';
import { attachLabel, deleteLabel, detachLabel, updateLabel, type Label } from './labels';
import { addNote } from './outbound';
import { STATUSES, type ConversationStatus } from './queries';
import type { Conversations } from './service';
import type { ConversationWriter } from './writer';

async function mustExist(w: ConversationWriter, conversationId: number): Promise<void> {
  if (!(await w.tx.get('SELECT id FROM conversations WHERE id = ?', [conversationId])))
    throw notFound('That conversation does not exist.');
}

/** Replying to an unassigned conversation makes it yours (inside the reply's transaction). */
export async function claim(w: ConversationWriter, conversationId: number, userId: number): Promise<void> {
  const { changes } = await w.tx.run('UPDATE conversations SET assignee_id = ? WHERE id = ? AND assignee_id IS NULL', [
    userId,
    conversationId,
  ]);
  if (changes) conversationChanged(w.outcome, conversationId);
}

export interface ConversationChange {
  status?: string;
  assigneeId?: number | null;
  /** Required with status 'snoozed': when it comes back (epoch ms). */
  snoozeUntil?: number;
  /** Who made the change (the timeline names them); none for the API's tokens and the cron job. */
  actorUserId?: number;
}

export class Workflow {
  constructor(private readonly conversations: Conversations) {}

  /** Several changes at once (the API's PATCH): all checked first, then applied together. */
  async change(conversationId: number, change: ConversationChange): Promise<void> {
    const { status, assigneeId, snoozeUntil } = change;
    if (status !== undefined && !STATUSES.includes(status as ConversationStatus))
      throw badRequest('invalid-status', `status must be one of ${STATUSES.join(', ')}.`);
    if (status === 'snoozed' && snoozeUntil === undefined)
      throw badRequest('invalid-snooze', 'A snoozed conversation needs a time to come back (snoozed_until).');
    if (snoozeUntil !== undefined && (!Number.isFinite(snoozeUntil) || snoozeUntil <= Date.now()))
      throw badRequest('invalid-snooze', 'Choose a time in the future.');
    return this.conversations.write(async (w) => {
      await mustExist(w, conversationId);
      if (assigneeId !== undefined) {
        if (assigneeId !== null && !(await w.tx.get("SELECT id FROM users WHERE id = ? AND status = 'active'", [assigneeId])))
          throw badRequest('invalid-assignee', 'Assign to an active user.');
        await w.tx.run('UPDATE conversations SET assignee_id = ?, updated_at = ? WHERE id = ?', [
          assigneeId,
          Date.now(),
          conversationId,
        ]);
        await recordEvent(w.tx, conversationId, 'assignee', assigneeId === null ? null : String(assigneeId), change.actorUserId);
      }
      if (status === 'snoozed' || (status === undefined && snoozeUntil !== undefined)) {
        await w.tx.run("UPDATE conversations SET status = 'snoozed', snoozed_until = ?, updated_at = ? WHERE id = ?", [
          snoozeUntil!,
          Date.now(),
          conversationId,
        ]);
        await recordEvent(w.tx, conversationId, 'status', 'snoozed', change.actorUserId, snoozeUntil);
      } else if (status !== undefined) {
        await w.tx.run('UPDATE conversations SET status = ?, snoozed_until = NULL, updated_at = ? WHERE id = ?', [
          status,
          Date.now(),
          conversationId,
        ]);
        await recordEvent(w.tx, conversationId, 'status', status, change.actorUserId);
        // Resolved: the AI may answer the customer's next message (never one from before).
        if (status === 'resolved') await aiReady(w, conversationId);
      }
      conversationChanged(w.outcome, conversationId);
    });
  }

  /** Open, pending or resolved; snoozing has its own time (snooze). */
  async setStatus(conversationId: number, status: string, actorUserId?: number): Promise<void> {
    if (!['open', 'pending', 'resolved'].includes(status))
      throw badRequest('invalid-status', 'Choose open, pending or resolved (snooze has its own time).');
    return this.change(conversationId, { status, actorUserId });
  }

  async assign(conversationId: number, assigneeId: number | null, actorUserId?: number): Promise<void> {
    return this.change(conversationId, { assigneeId, actorUserId });
  }

  async snooze(conversationId: number, until: number, actorUserId?: number): Promise<void> {
    return this.change(conversationId, { status: 'snoozed', snoozeUntil: until, actorUserId });
  }

  /** Puts a label on by name (a new name creates it) or by id (it must exist). */
  async addLabel(conversationId: number, label: string | { id: number }, actorUserId?: number): Promise<void> {
    return this.conversations.write(async (w) => {
      await mustExist(w, conversationId);
      await attachLabel(w, conversationId, typeof label === 'string' ? { name: label } : label, actorUserId);
    });
  }

  async removeLabel(conversationId: number, labelId: number, actorUserId?: number): Promise<void> {
    return this.conversations.write(async (w) => {
      await mustExist(w, conversationId);
      await detachLabel(w, conversationId, labelId, actorUserId);
    });
  }

  /** The owner's label settings: a new name or colour, shown live on every conversation carrying it. */
  async updateLabel(labelId: number, change: { name?: unknown; color?: unknown }): Promise<Label> {
    return this.conversations.write((w) => updateLabel(w, labelId, change));
  }

  async deleteLabel(labelId: number): Promise<{ label: Label; uses: number }> {
    return this.conversations.write((w) => deleteLabel(w, labelId));
  }

  /** Run by a cron job: snoozed conversations whose time has come are open again. */
  async wakeSnoozed(now = Date.now()): Promise<number> {
    return this.conversations.write(async (w) => {
      const woken = await w.tx.all<{ id: number }>(
        "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = ? WHERE status = 'snoozed' AND snoozed_until <= ? RETURNING id",
        [now, now],
      );
      for (const { id } of woken) conversationChanged(w.outcome, id);
      return woken.length;
    });
  }

  async markUnread(conversationId: number): Promise<void> {
    return this.conversations.write(async (w) => {
      await mustExist(w, conversationId);
      await w.tx.run('UPDATE conversations SET unread_count = MAX(unread_count, 1) WHERE id = ?', [conversationId]);
      conversationChanged(w.outcome, conversationId);
    });
  }

  /**
   * Returns whether there was anything unread (then Messenger may be told "seen"). One statement,
   * without a transaction around it: it runs on every conversation opened, most often a no-op.
   */
  async markRead(conversationId: number): Promise<boolean> {
    return this.conversations.writeOne(async (w) => {
      const { changes } = await w.tx.run('UPDATE conversations SET unread_count = 0 WHERE id = ? AND unread_count > 0', [
        conversationId,
      ]);
      if (changes) conversationChanged(w.outcome, conversationId);
      return changes > 0;
    });
  }

  /**
   * A person has the conversation in front of them (the page says so): returns whether the customer
   * wrote since Messenger was last told, so that "Seen" is sent once per new message, not per visit.
   */
  async seenByStaff(conversationId: number, now = Date.now()): Promise<boolean> {
    return this.conversations.writeOne(async (w) =>
      Boolean(
        await w.tx.get(
          'UPDATE conversations SET seen_sent_at = ? WHERE id = ? AND last_inbound_at > COALESCE(seen_sent_at, 0) RETURNING id',
          [now, conversationId],
        ),
      ),
    );
  }

  /** A private note: stored between the messages, never sent to the customer. */
  async addNote(conversationId: number, userId: number, text: string): Promise<number> {
    const clean = text.trim();
    if (!clean) throw badRequest('empty-note', 'Write something in the note.');
    if (clean.length > 20000) throw badRequest('note-too-long', 'Keep a note under 20,000 characters.');
    return this.conversations.write(async (w) => {
      await mustExist(w, conversationId);
      return addNote(w, conversationId, userId, clean);
    });
  }
}
