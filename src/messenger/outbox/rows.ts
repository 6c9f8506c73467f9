// The outbox table: one row per reply on its way to Meta, written in the same transaction as the
// message, so a crash between the commit and the send neither loses nor doubles it. This file is
// the only writer of those rows (the service, the sender, and the webhook's echoes all come here).
// state: 'pending' → 'sending' → 'done', or 'failed'; 'held' while Meta refuses the Page token.
import type { Queryable } from '../../core/db';

export interface DueItem {
  id: number;
  message_id: number;
  conversation_id: number;
  attempts: number;
  parts_sent: number;
  parts_total: number;
}

export async function insertRow(tx: Queryable, messageId: number, conversationId: number, partsTotal: number): Promise<void> {
  const now = Date.now();
  await tx.run(
    `INSERT INTO outbox (message_id, conversation_id, state, next_attempt_at, parts_total, created_at, updated_at)
     VALUES (?, ?, 'pending', ?, ?, ?, ?)`,
    [messageId, conversationId, now, partsTotal, now, now],
  );
}

/** A failed reply goes again from its first unsent part, as soon as possible. */
export async function resetForRetry(tx: Queryable, messageId: number): Promise<void> {
  await tx.run(
    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL, updated_at = ? WHERE message_id = ?",
    [Date.now(), Date.now(), messageId],
  );
}

/** An echo proved part `part` of this message reached Meta: it is never sent again. */
export async function recordEchoedPart(tx: Queryable, messageId: number, part: number): Promise<void> {
  await tx.run(
    `UPDATE outbox SET parts_sent = MAX(parts_sent, ?),
       state = CASE WHEN MAX(parts_sent, ?) >= parts_total THEN 'done' ELSE state END WHERE message_id = ?`,
    [part + 1, part + 1, messageId],
  );
}

/** After a crash mid-send: a part not proven by an echo within the grace period is sent again. */
export async function recoverInterrupted(db: Queryable, olderThan: number): Promise<void> {
  await db.run("UPDATE outbox SET state = 'pending' WHERE state = 'sending' AND attempt_started_at < ?", [olderThan]);
}

/** While the token is refused, nothing is tried; held rows wait for a working token. */
export async function holdPending(db: Queryable): Promise<void> {
  await db.run("UPDATE outbox SET state = 'held' WHERE state = 'pending'");
}

export async function releaseHeld(db: Queryable): Promise<void> {
  await db.run("UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE state = 'held'", [Date.now()]);
}

/** The oldest unsent item of each conversation, so replies go out in the order they were written. */
export function dueItems(db: Queryable, now: number): Promise<DueItem[]> {
  return db.all<DueItem>(
    `SELECT o.id, o.message_id, o.conversation_id, o.attempts, o.parts_sent, o.parts_total FROM outbox o
     WHERE o.state = 'pending' AND o.next_attempt_at <= ?
       AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation_id = o.conversation_id AND p.id < o.id
                       AND p.state IN ('pending', 'sending', 'held'))
     ORDER BY o.id LIMIT 20`,
    [now],
  );
}

/** Sandbox mode: everything waiting is done at once (nothing goes to Meta). */
export function waiting(db: Queryable): Promise<{ id: number; message_id: number; conversation_id: number }[]> {
  return db.all("SELECT id, message_id, conversation_id FROM outbox WHERE state IN ('pending', 'held') ORDER BY id");
}

/** Claims an item for one attempt; false when another pass took it first. */
export async function claim(db: Queryable, id: number): Promise<boolean> {
  const { changes } = await db.run(
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, attempt_started_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
    [Date.now(), Date.now(), id],
  );
  return changes > 0;
}

export async function partsSent(db: Queryable, id: number): Promise<number | undefined> {
  return (await db.get<{ parts_sent: number }>('SELECT parts_sent FROM outbox WHERE id = ?', [id]))?.parts_sent;
}

export async function recordPart(tx: Queryable, id: number, partsSent: number): Promise<void> {
  await tx.run('UPDATE outbox SET parts_sent = MAX(parts_sent, ?), updated_at = ? WHERE id = ?', [partsSent, Date.now(), id]);
}

export async function finish(tx: Queryable, id: number, state: 'done' | 'failed', error: string | null = null): Promise<void> {
  await tx.run('UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE id = ?', [state, error, Date.now(), id]);
}

export async function retryLater(db: Queryable, id: number, at: number, error: string): Promise<void> {
  await db.run("UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?", [
    at,
    error,
    Date.now(),
    id,
  ]);
}

export async function hold(db: Queryable, id: number, error: string): Promise<void> {
  await db.run("UPDATE outbox SET state = 'held', last_error = ? WHERE id = ?", [error, id]);
}
