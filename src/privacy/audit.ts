// The audit log: who did what, when, from where. Written for sign-ins, failed sign-ins, role
// changes and every privacy-relevant act (exports, deletions, wipes, key rotation). Never message
// content. What a stranger can make it store is bounded: every field has a length limit, and
// repeated failures from one address collapse into one row with a count.
import type { Request } from 'express';
import { actorOf } from '../auth/middleware';
import type { Queryable } from '../core/db';

export interface AuditEntry {
  actorUserId?: number | null;
  /** A readable actor: an email, "cli", "meta", "system". */
  actor: string;
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
  ip?: string;
}

const LIMITS = { actor: 254, action: 64, target: 254, ip: 64, detail: 2000 };

function bounded(value: string | undefined | null, max: number): string | null {
  if (value === undefined || value === null) return null;
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Who made this request, as the audit log names them: a user by their email, an API token as `token:<name>`. */
export function auditActor(req: Request): Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'> {
  const actor = actorOf(req);
  if (actor?.kind === 'user') return { actorUserId: actor.id, actor: actor.email, ip: req.ip };
  if (actor?.kind === 'token') return { actor: `token:${actor.name}`, ip: req.ip };
  return { actor: 'anonymous', ip: req.ip };
}

export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  const detail = entry.detail ? JSON.stringify(entry.detail) : null;
  await db.run('INSERT INTO audit_log (at, actor_user_id, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    Date.now(),
    entry.actorUserId ?? null,
    bounded(entry.actor, LIMITS.actor),
    bounded(entry.action, LIMITS.action),
    bounded(entry.target, LIMITS.target),
    detail && detail.length > LIMITS.detail ? JSON.stringify({ truncated: true }) : detail,
    bounded(entry.ip, LIMITS.ip),
  ]);
}

/**
 * An event that may repeat many times (a failed or refused sign-in): within `windowMs`, the same
 * action from the same address adds to the count of the row already written instead of a new row.
 */
export async function auditRepeated(db: Queryable, entry: AuditEntry, windowMs = 15 * 60 * 1000): Promise<void> {
  const now = Date.now();
  const { changes } = await db.run(
    `UPDATE audit_log SET detail = json_set(CASE WHEN json_valid(detail) THEN detail ELSE '{}' END, '$.count',
       COALESCE(json_extract(detail, '$.count'), 1) + 1, '$.last_at', ?)
     WHERE id = (SELECT id FROM audit_log WHERE action = ? AND ip IS ? AND at > ? ORDER BY at DESC, id DESC LIMIT 1)`,
    [now, entry.action, bounded(entry.ip, LIMITS.ip), now - windowMs],
  );
  if (changes === 0) await audit(db, entry);
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
  ip: string | null;
}

export function recentAudit(db: Queryable, limit = 100): Promise<AuditRow[]> {
  return db.all<AuditRow>('SELECT id, at, actor, action, target, detail, ip FROM audit_log ORDER BY at DESC, id DESC LIMIT ?', [
    limit,
  ]);
}
