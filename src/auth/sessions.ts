// Sign-in sessions kept in the encrypted database. The cookie holds a random token; the table holds
// its SHA-256. A session ends after 12 hours without use or 14 days after sign-in, whichever is first.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';
import { hashToken, type Role, type User } from './users';

export const IDLE_MS = 12 * 3600 * 1000;
export const ABSOLUTE_MS = 14 * 24 * 3600 * 1000;
const TOUCH_EVERY_MS = 60 * 1000;

export interface Session {
  id: string;
  csrfToken: string;
  user: { id: number; email: string; name: string; role: Role; prefs: Record<string, unknown> };
}

interface SessionRow {
  id: string;
  csrf_token: string;
  last_seen_at: number;
  expires_at: number;
  user_id: number;
  email: string;
  name: string;
  role: Role;
  prefs: string;
}

export async function createSession(
  db: Queryable,
  user: Pick<User, 'id'>,
  meta: { ip?: string; userAgent?: string },
): Promise<{ token: string; csrfToken: string }> {
  const token = crypto.randomBytes(32).toString('base64url');
  const csrfToken = crypto.randomBytes(24).toString('base64url');
  const now = Date.now();
  await db.run(
    `INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [hashToken(token), user.id, csrfToken, now, now, now + ABSOLUTE_MS, meta.ip ?? null, meta.userAgent?.slice(0, 300) ?? null],
  );
  return { token, csrfToken };
}

/** The live session for a cookie token, or undefined when it is unknown, expired, or its user is disabled. */
export async function loadSession(db: Queryable, token: string): Promise<Session | undefined> {
  const id = hashToken(token);
  const row = await db.get<SessionRow>(
    `SELECT s.id, s.csrf_token, s.last_seen_at, s.expires_at, u.id AS user_id, u.email, u.name, u.role, u.prefs
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = ? AND u.status = 'active'`,
    [id],
  );
  if (!row) return undefined;
  const now = Date.now();
  if (row.expires_at <= now || row.last_seen_at + IDLE_MS <= now) {
    await db.run('DELETE FROM sessions WHERE id = ?', [id]);
    return undefined;
  }
  if (now - row.last_seen_at > TOUCH_EVERY_MS) {
    await db.run('UPDATE sessions SET last_seen_at = ? WHERE id = ?', [now, id]);
  }
  let prefs: Record<string, unknown> = {};
  try {
    prefs = JSON.parse(row.prefs) as Record<string, unknown>;
  } catch {
    prefs = {};
  }
  return {
    id,
    csrfToken: row.csrf_token,
    user: { id: row.user_id, email: row.email, name: row.name, role: row.role, prefs },
  };
}

/** Which of these sessions are still signed in: not ended, not expired, their user still active. */
export async function liveSessionIds(db: Queryable, sessionIds: string[], now = Date.now()): Promise<Set<string>> {
  const live = new Set<string>();
  for (let i = 0; i < sessionIds.length; i += 500) {
    const chunk = sessionIds.slice(i, i + 500);
    const rows = await db.all<{ id: string }>(
      `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id IN (${chunk.map(() => '?').join(',')}) AND u.status = 'active' AND s.expires_at > ? AND s.last_seen_at > ?`,
      [...chunk, now, now - IDLE_MS],
    );
    for (const r of rows) live.add(r.id);
  }
  return live;
}

export async function destroySession(db: Queryable, sessionId: string): Promise<void> {
  await db.run('DELETE FROM sessions WHERE id = ?', [sessionId]);
}

/** Removes sessions past either expiry; run by a cron job. Returns how many were removed. */
export async function purgeExpiredSessions(db: Queryable, now = Date.now()): Promise<number> {
  const { changes } = await db.run('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?', [now, now - IDLE_MS]);
  return changes;
}
