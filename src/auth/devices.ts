// Known devices: a browser that has signed in to an account gets a long-lived cookie, and only the
// SHA-256 of its token is kept. Sign-in limits (throttle.ts) never stop a known device because of
// failures from elsewhere. It grants nothing else: the password is still needed.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';
import { hashToken } from './users';

export const DEVICE_COOKIE = 'chatx_device';
export const DEVICE_TTL_MS = 365 * 24 * 3600 * 1000;
const TOKEN = /^[\w-]{20,100}$/;

/** Whether the cookie's token was given to a browser that signed in as this user. */
export async function isKnownDevice(db: Queryable, token: unknown, userId: number): Promise<boolean> {
  if (typeof token !== 'string' || !TOKEN.test(token)) return false;
  return Boolean(
    await db.get('SELECT 1 FROM known_devices WHERE token_hash = ? AND user_id = ? AND last_seen_at > ?', [
      hashToken(token),
      userId,
      Date.now() - DEVICE_TTL_MS,
    ]),
  );
}

/** After a successful sign-in: the browser's token (kept, or a new one) is now known for this user. */
export async function rememberDevice(db: Queryable, token: unknown, userId: number): Promise<string> {
  const value = typeof token === 'string' && TOKEN.test(token) ? token : crypto.randomBytes(24).toString('base64url');
  const now = Date.now();
  await db.run(
    `INSERT INTO known_devices (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (token_hash, user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
    [hashToken(value), userId, now, now],
  );
  return value;
}
