// The deletion_requests table, and only here: recording a request, finding the ones due, and turning
// a carried-out request into a tombstone (code, dates, counts, who carried it out; nobody's name).
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';

/** The time a business has to carry a request out, as the privacy page promises. */
export const DELETION_DEADLINE_MS = 30 * 24 * 3600 * 1000;

export type DeletionSource = 'staff' | 'api' | 'meta-callback';

/** How a request reached the business, as staff record it (the form's choices). */
export const RECEIVED_VIA = ['email', 'conversation', 'phone', 'in person', 'other'] as const;
export type DeletionStatus = 'pending' | 'done' | 'no_data';

export interface DeletionRequest {
  id: number;
  code: string;
  contact_id: number | null;
  source: DeletionSource;
  /** Meta's app-scoped user id while it is not matched to a contact yet. */
  subject_ref: string | null;
  status: DeletionStatus;
  requested_at: number;
  deadline: number;
  done_at: number | null;
  /** JSON counts of what was erased (tombstone). */
  summary: string | null;
  received_via: string | null;
  requested_by: string | null;
  executed_by: string | null;
  reminded: number | null;
  /** Once carried out: the hash of the person erased (conversations/erase.ts personHash). */
  erased_person: string | null;
}

/** A confirmation code people can read out: 12 characters of A–Z and 2–9 (no 0/O, 1/I). */
export function newCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.randomBytes(12);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export async function insertRequest(
  db: Queryable,
  r: {
    contactId: number | null;
    source: DeletionSource;
    subjectRef?: string | null;
    status?: DeletionStatus;
    receivedVia?: string | null;
    requestedBy: string;
    at: number;
  },
): Promise<DeletionRequest> {
  const done = r.status === 'no_data' ? r.at : null;
  return (await db.get<DeletionRequest>(
    `INSERT INTO deletion_requests (code, contact_id, source, subject_ref, status, requested_at, deadline, done_at,
       received_via, requested_by, executed_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [
      newCode(),
      r.contactId,
      r.source,
      r.subjectRef ?? null,
      r.status ?? 'pending',
      r.at,
      r.at + DELETION_DEADLINE_MS,
      done,
      r.receivedVia ?? null,
      r.requestedBy,
      done ? 'nothing to delete' : null,
    ],
  ))!;
}

export function requestByCode(db: Queryable, code: string): Promise<DeletionRequest | undefined> {
  return db.get<DeletionRequest>('SELECT * FROM deletion_requests WHERE code = ?', [code]);
}

export function pendingForContact(db: Queryable, contactId: number): Promise<DeletionRequest | undefined> {
  return db.get<DeletionRequest>(
    "SELECT * FROM deletion_requests WHERE contact_id = ? AND status = 'pending' ORDER BY deadline LIMIT 1",
    [contactId],
  );
}

export function listRequests(db: Queryable, limit = 200): Promise<DeletionRequest[]> {
  return db.all<DeletionRequest>(
    `SELECT * FROM deletion_requests ORDER BY status = 'pending' DESC,
       CASE WHEN status = 'pending' THEN deadline ELSE -requested_at END LIMIT ?`,
    [limit],
  );
}

/** Pending requests whose deadline has come (oldest first). */
export function dueRequests(db: Queryable, now: number): Promise<DeletionRequest[]> {
  return db.all<DeletionRequest>(
    "SELECT * FROM deletion_requests WHERE status = 'pending' AND deadline <= ? ORDER BY deadline LIMIT 100",
    [now],
  );
}

/** Pending requests with a deadline within `withinMs` that have not had the reminder `level` yet. */
export function requestsToRemind(db: Queryable, now: number, withinMs: number, level: 7 | 1): Promise<DeletionRequest[]> {
  return db.all<DeletionRequest>(
    `SELECT * FROM deletion_requests WHERE status = 'pending' AND deadline <= ? AND deadline > ?
       AND (reminded IS NULL OR reminded > ?)`,
    [now + withinMs, now, level],
  );
}

export async function markReminded(db: Queryable, id: number, level: 7 | 1): Promise<void> {
  await db.run('UPDATE deletion_requests SET reminded = ? WHERE id = ?', [level, id]);
}

/** The pending requests the owner is reminded of on every page: due within a week. */
export function dueSoon(db: Queryable, now: number): Promise<{ count: number; first: number | null }> {
  return db
    .get<{ count: number; first: number | null }>(
      "SELECT count(*) AS count, min(deadline) AS first FROM deletion_requests WHERE status = 'pending' AND deadline <= ?",
      [now + 7 * 24 * 3600 * 1000],
    )
    .then((r) => r ?? { count: 0, first: null });
}

export async function matchRequest(db: Queryable, id: number, contactId: number): Promise<void> {
  await db.run("UPDATE deletion_requests SET contact_id = ?, subject_ref = NULL WHERE id = ? AND status = 'pending'", [
    contactId,
    id,
  ]);
}

/**
 * Closes a request as a tombstone: `done` with the counts of what was erased, or `no_data` when
 * nothing was held. The reference to the person (contact, Meta's id) is cleared either way.
 */
export async function closeRequest(
  db: Queryable,
  id: number,
  outcome: { status: 'done' | 'no_data'; summary?: Record<string, number>; executedBy: string; at: number; person?: string },
): Promise<void> {
  await db.run(
    `UPDATE deletion_requests SET status = ?, summary = ?, executed_by = ?, done_at = ?, erased_person = ?,
       contact_id = NULL, subject_ref = NULL
     WHERE id = ? AND status = 'pending'`,
    [
      outcome.status,
      outcome.summary ? JSON.stringify(outcome.summary) : null,
      outcome.executedBy,
      outcome.at,
      outcome.person ?? null,
      id,
    ],
  );
}

/** The carried-out requests, as tombstones to carry over a restore (privacy/deletions.ts, reapply). */
export function tombstones(db: Queryable): Promise<DeletionRequest[]> {
  return db.all<DeletionRequest>("SELECT * FROM deletion_requests WHERE status <> 'pending' ORDER BY id");
}

/** Writes a tombstone as it was (a restored database that did not have it yet). */
export async function keepTombstone(db: Queryable, t: DeletionRequest): Promise<void> {
  await db.run(
    `INSERT INTO deletion_requests (code, contact_id, source, subject_ref, status, requested_at, deadline, done_at, summary,
       received_via, requested_by, executed_by, reminded, erased_person)
     VALUES (?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (code) DO UPDATE SET status = excluded.status, done_at = excluded.done_at, summary = excluded.summary,
       executed_by = excluded.executed_by, erased_person = excluded.erased_person, contact_id = NULL, subject_ref = NULL`,
    [
      t.code,
      t.source,
      t.status,
      t.requested_at,
      t.deadline,
      t.done_at,
      t.summary,
      t.received_via,
      t.requested_by,
      t.executed_by,
      t.reminded,
      t.erased_person,
    ],
  );
}

/** Every other pending request about the same contact closes with the one carried out. */
export function pendingIdsForContact(db: Queryable, contactId: number): Promise<{ id: number }[]> {
  return db.all<{ id: number }>("SELECT id FROM deletion_requests WHERE contact_id = ? AND status = 'pending'", [contactId]);
}
