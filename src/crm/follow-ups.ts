// Follow-ups: a due time and a note on a contact (and their conversation), for its owner, perhaps
// with a drafted message. This module is the only writer of follow_ups: people create, edit, finish
// and cancel them (each audit-logged, never with the note or the message), and the 'follow-ups'
// job (jobs.ts) calls pass() each minute. A pass turns every pending follow-up whose time has come
// into a reminder for its owner (state 'due', announced on the bus for their open tabs), or, when it
// carries a message that Messenger's window allows (conversations/reply-window.ts: inside 24 hours;
// until day 7 only with the Human Agent tag on), sends it through the outbox (state 'sent'). A
// message the window refuses makes a reminder whose `outcome` says why.
//
// Sending is claimed before it starts: the row becomes 'sent' with outcome 'sending' in its own
// transaction, then the outbox queues the message (one transaction of its own), then the row gets
// the message's id. A crash in between leaves 'sending': the next pass looks for the queued message
// and links it, or, when none was queued, sends it then; so a restart never sends twice.
import type { Bus } from '../core/bus';
import type { Db, Queryable } from '../core/db';
import { AppError, conflict } from '../core/errors';
import { log } from '../core/log';
import { decideWindow } from '../conversations/reply-window';
import type { Channel } from '../messenger/channel';
import type { Outbox } from '../messenger/outbox/outbox';
import { audit, type AuditEntry } from '../privacy/audit';
import type { FollowUpChange } from './follow-up-input';

export type FollowUpState = 'pending' | 'due' | 'done' | 'sent' | 'cancelled';

export interface FollowUp {
  id: number;
  contactId: number;
  contactName: string | null;
  psid: string;
  conversationId: number | null;
  ownerId: number | null;
  ownerName: string | null;
  dueAt: number;
  note: string;
  message: string | null;
  state: FollowUpState;
  outcome: string | null;
  messageId: number | null;
  createdBy: number | null;
  createdAt: number;
  updatedAt: number;
  doneAt: number | null;
}

/** Who made a change, as the audit log names them (privacy/audit.ts auditActor). */
export type Who = Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>;

const SELECT = `SELECT f.id, f.contact_id AS contactId, k.name AS contactName, k.psid, f.conversation_id AS conversationId,
    f.owner_id AS ownerId, CASE WHEN u.name != '' THEN u.name ELSE u.email END AS ownerName, f.due_at AS dueAt, f.note,
    f.message, f.state, f.outcome, f.message_id AS messageId, f.created_by AS createdBy, f.created_at AS createdAt,
    f.updated_at AS updatedAt, f.done_at AS doneAt
  FROM follow_ups f JOIN contacts k ON k.id = f.contact_id LEFT JOIN users u ON u.id = f.owner_id`;

/** What a reminder is, for its owner: due (its time came) or overdue (it came on an earlier day, in TZ). */
export function isOverdue(f: Pick<FollowUp, 'dueAt'>, now = Date.now()): boolean {
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  return f.dueAt < today.getTime();
}

/** Still to be dealt with: waiting for its time, or come due. */
export const isOpen = (f: Pick<FollowUp, 'state'>) => f.state === 'pending' || f.state === 'due';

const target = (contactId: number) => `contact #${contactId}`;

/** One follow-up, with its contact's name and its owner's (also for the live stream's toast). */
export function followUpById(db: Queryable, id: number): Promise<FollowUp | undefined> {
  return db.get<FollowUp>(`${SELECT} WHERE f.id = ?`, [id]);
}

/** A user's follow-ups that came due, the job's next pass included (the navigation's badge). */
export async function countDue(db: Queryable, userId: number, now = Date.now()): Promise<number> {
  const row = await db.get<{ n: number }>(
    `SELECT count(*) AS n FROM follow_ups WHERE owner_id = ? AND (state = 'due' OR (state = 'pending' AND due_at <= ?))`,
    [userId, now],
  );
  return row?.n ?? 0;
}

export class FollowUps {
  /** One pass at a time in this process: a second caller waits for the first and then runs its own. */
  private passing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly outbox: Outbox,
    private readonly channel: Channel,
  ) {}

  get(id: number): Promise<FollowUp | undefined> {
    return followUpById(this.db, id);
  }

  /** A contact's follow-ups: the open ones by due time, then the finished ones, newest first. */
  forContact(contactId: number, limit = 50): Promise<FollowUp[]> {
    return this.db.all<FollowUp>(
      `${SELECT} WHERE f.contact_id = ?
       ORDER BY f.state IN ('pending', 'due') DESC,
         CASE WHEN f.state IN ('pending', 'due') THEN f.due_at END, f.updated_at DESC, f.id DESC LIMIT ?`,
      [contactId, limit],
    );
  }

  /** Follow-ups by state, owner and due time (the Due page and the API), earliest due first. */
  list(filter: { states?: FollowUpState[]; ownerId?: number; dueBefore?: number; limit?: number } = {}): Promise<FollowUp[]> {
    const states = filter.states ?? [];
    return this.db.all<FollowUp>(
      `${SELECT} WHERE (?1 = '' OR f.state IN (SELECT value FROM json_each(?2)))
         AND (?3 IS NULL OR f.owner_id = ?3) AND (?4 IS NULL OR f.due_at < ?4)
       ORDER BY f.due_at, f.id LIMIT ?5`,
      [states.length ? 'x' : '', JSON.stringify(states), filter.ownerId ?? null, filter.dueBefore ?? null, filter.limit ?? 200],
    );
  }

  /** The navigation's badge: this user's follow-ups that came due (the job's next pass included). */
  dueCount(userId: number, now = Date.now()): Promise<number> {
    return countDue(this.db, userId, now);
  }

  /** A new follow-up on a contact; checks the owner and the conversation; returns it. */
  async create(contactId: number, input: FollowUpChange & { dueAt: number }, who: Who, now = Date.now()): Promise<FollowUp> {
    const id = await this.db.transaction(async (tx) => {
      const ownerId = input.ownerId ?? who.actorUserId ?? undefined;
      if (ownerId === undefined) throw invalid('owner_id', 'Say who owns the follow-up (owner_id).');
      await assertActiveUser(tx, ownerId);
      const conversationId = await conversationFor(tx, contactId, input.conversationId);
      const { lastID } = await tx.run(
        `INSERT INTO follow_ups (contact_id, conversation_id, owner_id, due_at, note, message, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          contactId,
          conversationId,
          ownerId,
          input.dueAt,
          input.note ?? '',
          input.message ?? null,
          who.actorUserId ?? null,
          now,
          now,
        ],
      );
      const id = lastID;
      await audit(tx, {
        ...who,
        action: 'follow_up.create',
        target: target(contactId),
        detail: { follow_up: id, message: Boolean(input.message) },
      });
      return id;
    });
    return (await this.get(id))!;
  }

  /**
   * Changes what is given (a new due time makes a reminder pending again), or finishes it (done)
   * or cancels it. Only an open follow-up changes: a finished one is a 409.
   */
  async edit(followUp: FollowUp, change: FollowUpChange, who: Who, now = Date.now()): Promise<FollowUp> {
    await this.db.transaction(async (tx) => {
      const current = await tx.get<{ state: FollowUpState }>('SELECT state FROM follow_ups WHERE id = ?', [followUp.id]);
      if (!current || !isOpen(current))
        throw conflict('follow-up-closed', `This follow-up is ${current?.state ?? 'gone'}; it can no longer change.`);
      if (change.ownerId !== undefined) await assertActiveUser(tx, change.ownerId);
      const conversationId =
        change.conversationId !== undefined ? await conversationFor(tx, followUp.contactId, change.conversationId) : undefined;
      const fields = Object.entries({
        due_at: change.dueAt,
        note: change.note,
        message: change.message,
        owner_id: change.ownerId,
        conversation_id: conversationId,
      }).filter(([, v]) => v !== undefined);
      const closing = change.state;
      await tx.run(
        `UPDATE follow_ups SET
           due_at = COALESCE(?, due_at), note = COALESCE(?, note),
           message = CASE WHEN ? THEN ? ELSE message END,
           owner_id = COALESCE(?, owner_id), conversation_id = COALESCE(?, conversation_id),
           state = CASE WHEN ? IS NOT NULL THEN ? WHEN ? IS NOT NULL THEN 'pending' ELSE state END,
           outcome = CASE WHEN ? IS NOT NULL THEN NULL ELSE outcome END,
           done_at = CASE WHEN ? IS NOT NULL THEN ? ELSE done_at END,
           updated_at = ?
         WHERE id = ?`,
        [
          change.dueAt ?? null,
          change.note ?? null,
          change.message !== undefined ? 1 : 0,
          change.message ?? null,
          change.ownerId ?? null,
          conversationId ?? null,
          closing ?? null,
          closing ?? null,
          change.dueAt ?? null,
          change.dueAt ?? null,
          closing ?? null,
          now,
          now,
          followUp.id,
        ],
      );
      const action = closing === 'done' ? 'follow_up.done' : closing === 'cancelled' ? 'follow_up.cancel' : 'follow_up.edit';
      await audit(tx, {
        ...who,
        action,
        target: target(followUp.contactId),
        detail: { follow_up: followUp.id, ...(fields.length ? { changed: fields.map(([k]) => k) } : {}) },
      });
    });
    return (await this.get(followUp.id))!;
  }

  done(followUp: FollowUp, who: Who): Promise<FollowUp> {
    return this.edit(followUp, { state: 'done' }, who);
  }

  cancel(followUp: FollowUp, who: Who): Promise<FollowUp> {
    return this.edit(followUp, { state: 'cancelled' }, who);
  }

  /** The job: every pending follow-up whose time has come (see the top of this file). */
  pass(now = Date.now()): Promise<{ due: number; sent: number }> {
    const run = this.passing.then(() => this.passNow(now));
    this.passing = run.catch(() => undefined);
    return run;
  }

  private async passNow(now: number): Promise<{ due: number; sent: number }> {
    await this.recoverClaims();
    const rows = await this.db.all<{
      id: number;
      contact_id: number;
      conversation_id: number | null;
      owner_id: number | null;
      message: string | null;
    }>(
      `SELECT id, contact_id, conversation_id, owner_id, message FROM follow_ups
       WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT 200`,
      [now],
    );
    let due = 0;
    let sent = 0;
    for (const row of rows) {
      if (!row.message) {
        if (await this.becomeDue(row, null)) due += 1;
        continue;
      }
      const refusal = await this.windowRefusal(row.conversation_id, now);
      if (refusal) {
        if (await this.becomeDue(row, refusal)) due += 1;
        continue;
      }
      const outcome = await this.send({ ...row, message: row.message, conversation_id: row.conversation_id! });
      if (outcome === 'sent') sent += 1;
      else if (outcome === 'due') due += 1;
    }
    return { due, sent };
  }

  /** Why Messenger would refuse a person's message in this conversation at `now`, or undefined if it allows it. */
  private async windowRefusal(conversationId: number | null, now: number): Promise<string | undefined> {
    if (conversationId === null) return 'There is no conversation with this person to send the message in.';
    const conversation = await this.db.get<{ last_inbound_at: number | null }>(
      'SELECT last_inbound_at FROM conversations WHERE id = ?',
      [conversationId],
    );
    if (!conversation) return 'There is no conversation with this person to send the message in.';
    const { humanAgentEnabled } = await this.channel.state();
    const decision = decideWindow({ lastInboundAt: conversation.last_inbound_at, sentBy: 'user', humanAgentEnabled, now });
    return decision.ok ? undefined : decision.reason;
  }

  /** A reminder for its owner (with why its message was not sent); announced once it is committed. */
  private async becomeDue(row: { id: number; owner_id: number | null }, outcome: string | null): Promise<boolean> {
    const { changes } = await this.db.run(
      "UPDATE follow_ups SET state = 'due', outcome = ?, updated_at = ? WHERE id = ? AND (state = 'pending' OR outcome = 'sending')",
      [outcome, Date.now(), row.id],
    );
    if (changes > 0) this.bus.emit('followUp', { id: row.id, ownerId: row.owner_id });
    return changes > 0;
  }

  private async send(row: {
    id: number;
    contact_id: number;
    conversation_id: number;
    owner_id: number | null;
    message: string;
  }): Promise<'sent' | 'due' | 'skipped'> {
    // The claim: from here on no other pass, and no restart, starts this send again.
    const claimed = await this.db.transaction(
      async (tx) =>
        (
          await tx.run(
            "UPDATE follow_ups SET state = 'sent', outcome = 'sending', updated_at = ? WHERE id = ? AND state = 'pending'",
            [Date.now(), row.id],
          )
        ).changes > 0,
    );
    if (!claimed) return 'skipped';
    let messageId: number;
    try {
      ({ id: messageId } = await this.outbox.queue({
        conversationId: row.conversation_id,
        text: row.message,
        sentBy: 'user',
        userId: row.owner_id ?? undefined,
      }));
    } catch (err) {
      // Refused before anything was stored (the window closed meanwhile, the conversation is gone).
      if (err instanceof AppError) return (await this.becomeDue(row, err.message)) ? 'due' : 'skipped';
      throw err; // left claimed: the next pass finds out whether it was queued
    }
    await this.sent(row, messageId);
    return 'sent';
  }

  private async sent(row: { id: number; contact_id: number }, messageId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE follow_ups SET message_id = ?, outcome = NULL, done_at = ?, updated_at = ? WHERE id = ?', [
        messageId,
        Date.now(),
        Date.now(),
        row.id,
      ]);
      await audit(tx, {
        actor: 'system',
        action: 'follow_up.sent',
        target: target(row.contact_id),
        detail: { follow_up: row.id },
      });
    });
  }

  /** Claims a crash left behind: linked to the message they queued, or made pending again if none was. */
  private async recoverClaims(): Promise<void> {
    const claims = await this.db.all<{
      id: number;
      contact_id: number;
      conversation_id: number | null;
      owner_id: number | null;
      message: string | null;
      created_at: number;
    }>(
      "SELECT id, contact_id, conversation_id, owner_id, message, created_at FROM follow_ups WHERE state = 'sent' AND outcome = 'sending'",
    );
    for (const claim of claims) {
      const queued = await this.db.get<{ id: number }>(
        `SELECT m.id FROM messages m
         WHERE m.conversation_id = ? AND m.direction = 'out' AND m.sent_by = 'user' AND m.sent_by_user_id IS ?
           AND m.text = ? AND m.created_at >= ? AND NOT EXISTS (SELECT 1 FROM follow_ups o WHERE o.message_id = m.id)
         ORDER BY m.id LIMIT 1`,
        [claim.conversation_id, claim.owner_id, claim.message, claim.created_at],
      );
      log.warn('a follow-up was being sent when ChatX stopped', { followUp: claim.id, queued: Boolean(queued) });
      if (queued) await this.sent(claim, queued.id);
      else
        await this.db.run("UPDATE follow_ups SET state = 'pending', outcome = NULL WHERE id = ? AND outcome = 'sending'", [
          claim.id,
        ]);
    }
  }
}

function invalid(field: string, message: string): AppError {
  return new AppError(422, `invalid-${field.replace(/_/g, '-')}`, message, { field });
}

async function assertActiveUser(db: Queryable, userId: number): Promise<void> {
  const user = await db.get<{ status: string }>('SELECT status FROM users WHERE id = ?', [userId]);
  if (user?.status !== 'active') throw invalid('owner_id', 'The owner must be an active user of this ChatX.');
}

/** The conversation a follow-up is about: the one given (it must be this contact's), else the contact's latest. */
async function conversationFor(db: Queryable, contactId: number, given?: number): Promise<number | null> {
  if (given !== undefined) {
    const own = await db.get<{ id: number }>('SELECT id FROM conversations WHERE id = ? AND contact_id = ?', [given, contactId]);
    if (!own) throw invalid('conversation_id', 'That conversation is not this person’s.');
    return own.id;
  }
  const latest = await db.get<{ id: number }>(
    'SELECT id FROM conversations WHERE contact_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    [contactId],
  );
  return latest?.id ?? null;
}
