// Users: queries and the rules around them (one owner at least, invitations, reset links, passwords).
import crypto from 'node:crypto';
import type { Db, Queryable } from '../core/db';
import { AppError, badRequest, conflict } from '../core/errors';
import { hashPassword, passwordProblem } from './passwords';
import { accountKey, clearAccount } from './throttle';

export type Role = 'owner' | 'staff';
export type UserStatus = 'active' | 'invited' | 'disabled';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  password_hash: string | null;
  invite_expires_at: number | null;
  prefs: string;
  created_at: number;
}

const COLUMNS = 'id, email, name, role, status, password_hash, invite_expires_at, prefs, created_at';
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

export function normalizeEmail(email: unknown): string {
  const value = typeof email === 'string' ? email.trim().toLowerCase() : '';
  if (!EMAIL.test(value) || value.length > 254) throw badRequest('invalid-email', 'Enter a valid email address.');
  return value;
}

export function isRole(value: unknown): value is Role {
  return value === 'owner' || value === 'staff';
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function countUsers(db: Queryable): Promise<number> {
  return db.get<{ n: number }>('SELECT count(*) AS n FROM users').then((r) => r?.n ?? 0);
}

export function findUserByEmail(db: Queryable, email: string): Promise<User | undefined> {
  return db.get<User>(`SELECT ${COLUMNS} FROM users WHERE email = ?`, [email]);
}

export function findUser(db: Queryable, id: number): Promise<User | undefined> {
  return db.get<User>(`SELECT ${COLUMNS} FROM users WHERE id = ?`, [id]);
}

export function listUsers(db: Queryable): Promise<User[]> {
  return db.all<User>(`SELECT ${COLUMNS} FROM users ORDER BY role = 'owner' DESC, email`);
}

export interface ActiveUser {
  id: number;
  name: string;
  email: string;
}

/** The people a conversation can be assigned to. */
export function listActiveUsers(db: Queryable): Promise<ActiveUser[]> {
  return db.all<ActiveUser>("SELECT id, name, email FROM users WHERE status = 'active' ORDER BY name, email");
}

export async function createUser(
  db: Queryable,
  input: { email: string; role: Role; password: string; name?: string },
): Promise<User> {
  const email = normalizeEmail(input.email);
  const problem = passwordProblem(input.password);
  if (problem) throw badRequest('weak-password', problem);
  if (await findUserByEmail(db, email)) throw conflict('email-taken', `${email} already has an account.`);
  const now = Date.now();
  const { lastID } = await db.run(
    'INSERT INTO users (email, name, role, status, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [email, input.name?.trim() ?? '', input.role, 'active', await hashPassword(input.password), now, now],
  );
  return (await findUser(db, lastID))!;
}

/** Creates an invited user; returns the one-time invitation token (only its hash is stored). */
export async function inviteUser(db: Queryable, input: { email: string; role: Role }): Promise<{ user: User; token: string }> {
  const email = normalizeEmail(input.email);
  if (await findUserByEmail(db, email)) throw conflict('email-taken', `${email} already has an account.`);
  const token = crypto.randomBytes(24).toString('base64url');
  const now = Date.now();
  const { lastID } = await db.run(
    `INSERT INTO users (email, role, status, invite_token_hash, invite_expires_at, created_at, updated_at)
     VALUES (?, ?, 'invited', ?, ?, ?, ?)`,
    [email, input.role, hashToken(token), now + INVITE_TTL_MS, now, now],
  );
  return { user: (await findUser(db, lastID))!, token };
}

export function findInvitation(db: Queryable, token: string): Promise<User | undefined> {
  return db.get<User>(
    `SELECT ${COLUMNS} FROM users WHERE invite_token_hash = ? AND status = 'invited' AND invite_expires_at > ?`,
    [hashToken(token), Date.now()],
  );
}

export async function acceptInvitation(db: Queryable, user: User, input: { name: string; password: string }): Promise<void> {
  const problem = passwordProblem(input.password);
  if (problem) throw badRequest('weak-password', problem);
  await db.run(
    `UPDATE users SET status = 'active', name = ?, password_hash = ?, invite_token_hash = NULL,
       invite_expires_at = NULL, updated_at = ? WHERE id = ?`,
    [input.name.trim(), await hashPassword(input.password), Date.now(), user.id],
  );
}

/** How long an owner's password-reset link works. */
export const RESET_TTL_MS = 24 * 3600 * 1000;

/**
 * A one-time password-reset link for an active user, made by an owner. Like an invitation, only the
 * token's hash is stored, in the same columns (an active user has no invitation); a new link
 * replaces an older one, and any new password (this link, the CLI, the account page) voids it.
 */
export async function createPasswordReset(db: Queryable, user: User): Promise<{ token: string; expiresAt: number }> {
  if (user.status !== 'active') throw new AppError(409, 'user-not-active', `${user.email} has no active account to reset.`);
  const token = crypto.randomBytes(24).toString('base64url');
  const expiresAt = Date.now() + RESET_TTL_MS;
  await db.run(
    "UPDATE users SET invite_token_hash = ?, invite_expires_at = ?, updated_at = ? WHERE id = ? AND status = 'active'",
    [hashToken(token), expiresAt, Date.now(), user.id],
  );
  return { token, expiresAt };
}

export function resetLinkGone(): AppError {
  return new AppError(404, 'reset-link-not-found', 'This reset link is unknown, used or expired. Ask the owner for a new one.');
}

export function findPasswordReset(db: Queryable, token: string): Promise<User | undefined> {
  return db.get<User>(
    `SELECT ${COLUMNS} FROM users WHERE invite_token_hash = ? AND status = 'active' AND invite_expires_at > ?`,
    [hashToken(token), Date.now()],
  );
}

/** Uses a reset link once: claims the token (a second use finds nothing), then sets the password. */
export async function usePasswordReset(db: Db, token: string, password: string): Promise<User> {
  const problem = passwordProblem(password);
  if (problem) throw badRequest('weak-password', problem);
  return db.transaction(async (tx) => {
    const user = await findPasswordReset(tx, token);
    if (!user) throw resetLinkGone();
    await setPassword(tx, user.id, password);
    return user;
  });
}

export async function setPassword(db: Queryable, userId: number, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw badRequest('weak-password', problem);
  // An active user's open reset link dies with any new password.
  const user = await db.get<{ email: string }>(
    `UPDATE users SET password_hash = ?, updated_at = ?,
       invite_token_hash = CASE WHEN status = 'active' THEN NULL ELSE invite_token_hash END,
       invite_expires_at = CASE WHEN status = 'active' THEN NULL ELSE invite_expires_at END
     WHERE id = ? RETURNING email`,
    [await hashPassword(password), Date.now(), userId],
  );
  // A new password signs the user out everywhere, and lifts the sign-in limit on the account.
  await db.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
  if (user) await clearAccount(db, accountKey(user.email));
}

export interface AlertPrefs {
  sound: 'on' | 'off';
  notify: 'on' | 'off';
}

/**
 * Sets some of one user's preferences (users.prefs, a JSON object), keeping the others: alerts,
 * keyboard shortcuts, a dismissed banner.
 */
export async function setPrefs(db: Queryable, userId: number, prefs: Record<string, string | number | boolean>): Promise<void> {
  const keys = Object.keys(prefs);
  if (keys.length === 0) return;
  for (const key of keys) if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(key)) throw new Error(`bad preference name ${key}`);
  const paths = keys.map(() => '?, json(?)').join(', ');
  await db.run(
    `UPDATE users SET prefs = json_set(CASE WHEN json_valid(prefs) THEN prefs ELSE '{}' END, ${paths}), updated_at = ? WHERE id = ?`,
    [...keys.flatMap((k) => [`$.${k}`, JSON.stringify(prefs[k])]), Date.now(), userId],
  );
}

/** New-message alerts for one user, kept in users.prefs beside any other preferences. */
export async function setAlertPrefs(db: Queryable, userId: number, alerts: AlertPrefs): Promise<void> {
  await setPrefs(db, userId, { sound: alerts.sound, notify: alerts.notify });
}

async function activeOwners(db: Queryable): Promise<number> {
  const row = await db.get<{ n: number }>("SELECT count(*) AS n FROM users WHERE role = 'owner' AND status = 'active'");
  return row?.n ?? 0;
}

/** Refuses any change that would leave no active owner. */
export async function assertKeepsAnOwner(db: Queryable, user: User, change: 'demote' | 'disable' | 'remove'): Promise<void> {
  if (user.role === 'owner' && user.status === 'active' && (await activeOwners(db)) <= 1) {
    throw new AppError(409, 'last-owner', `You cannot ${change} the only owner.`);
  }
}

export async function setRole(db: Queryable, user: User, role: Role): Promise<void> {
  if (role === 'staff') await assertKeepsAnOwner(db, user, 'demote');
  await db.run('UPDATE users SET role = ?, updated_at = ? WHERE id = ?', [role, Date.now(), user.id]);
}

export async function setDisabled(db: Queryable, user: User, disabled: boolean): Promise<void> {
  if (disabled) {
    await assertKeepsAnOwner(db, user, 'disable');
    await db.run('DELETE FROM sessions WHERE user_id = ?', [user.id]);
  }
  const status = disabled ? 'disabled' : user.password_hash ? 'active' : 'invited';
  await db.run('UPDATE users SET status = ?, updated_at = ? WHERE id = ?', [status, Date.now(), user.id]);
}

export async function removeUser(db: Queryable, user: User): Promise<void> {
  await assertKeepsAnOwner(db, user, 'remove');
  await db.run('DELETE FROM users WHERE id = ?', [user.id]);
}
