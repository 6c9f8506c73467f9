// The audit log: who did what, when, from where. Written for sign-ins, failed sign-ins, role
// changes and every privacy-relevant act (exports, deletions, wipes, key rotation).
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

export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.run('INSERT INTO audit_log (at, actor_user_id, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    Date.now(),
    entry.actorUserId ?? null,
    entry.actor,
    entry.action,
    entry.target ?? null,
    entry.detail ? JSON.stringify(entry.detail) : null,
    entry.ip ?? null,
  ]);
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
