// Sign-in limits, counted before the password is checked: an attempt takes its place in the count
// first, so attempts sent in parallel cannot slip past the limit. Two counts, each over 15 minutes:
// - per source address (kept in memory): 10 failures stop that address, for every account;
// - per account (in the database, so restarts keep it): 5 failures stop new browsers from trying
//   that account. The account is the email as typed, hashed, whether or not anyone has it, so the
//   answer never tells which accounts exist. A browser that has signed in to the account before
//   (a known device, devices.ts) is never stopped by failures from elsewhere, so a stranger cannot
//   lock the owner out; a new password (the CLI's user:reset-password) clears the account's count.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';

export const SOURCE_MAX_FAILURES = 10;
export const ACCOUNT_MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;
/** Addresses remembered at most; the oldest are forgotten first (a flood of addresses cannot fill memory). */
const MAX_SOURCES = 10_000;

export function accountKey(email: string): string {
  return `account:${crypto.createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;
}

/** Failures (and attempts in flight) per source address, in memory. */
export class SourceLimits {
  private attempts = new Map<string, number[]>();

  constructor(
    private readonly max = SOURCE_MAX_FAILURES,
    private readonly windowMs = WINDOW_MS,
  ) {}

  private recent(ip: string, now: number): number[] {
    const list = (this.attempts.get(ip) ?? []).filter((t) => t > now - this.windowMs);
    this.attempts.delete(ip); // re-inserted below, so the map's order is the order of use
    if (list.length > 0) this.attempts.set(ip, list);
    return list;
  }

  /** Takes a place for one attempt; returns ms to wait when this address may not try now (0: go on). */
  reserve(ip: string, now = Date.now()): number {
    const list = this.recent(ip, now);
    if (list.length >= this.max) return list[list.length - this.max] + this.windowMs - now;
    this.attempts.set(ip, [...list, now]);
    if (this.attempts.size > MAX_SOURCES) this.attempts.delete(this.attempts.keys().next().value!);
    return 0;
  }

  /** The attempt succeeded: the address starts afresh. (A failure simply keeps its place.) */
  succeeded(ip: string): void {
    this.attempts.delete(ip);
  }
}

/**
 * Takes a place for one attempt on an account; returns ms to wait when the account is stopped for
 * new browsers (0: go on). One statement, so parallel attempts each see the count the others left.
 */
export async function reserveAccount(db: Queryable, key: string, now = Date.now()): Promise<number> {
  const row = await db.get<{ failures: number; window_start: number }>(
    `INSERT INTO sign_in_failures (key, failures, window_start) VALUES (?, 1, ?)
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN window_start <= ? THEN 1 ELSE failures + 1 END,
       window_start = CASE WHEN window_start <= ? THEN excluded.window_start ELSE window_start END
     RETURNING failures, window_start`,
    [key, now, now - WINDOW_MS, now - WINDOW_MS],
  );
  return row!.failures > ACCOUNT_MAX_FAILURES ? row!.window_start + WINDOW_MS - now : 0;
}

/** The account's count starts afresh (a successful sign-in, a new password). */
export async function clearAccount(db: Queryable, key: string): Promise<void> {
  await db.run('DELETE FROM sign_in_failures WHERE key = ?', [key]);
}

/** Run by a cron job: windows that have ended. */
export async function purgeAccountFailures(db: Queryable, now = Date.now()): Promise<number> {
  return (await db.run('DELETE FROM sign_in_failures WHERE window_start <= ?', [now - WINDOW_MS])).changes;
}

export function minutes(ms: number): string {
  const m = Math.max(1, Math.ceil(ms / 60000));
  return m === 1 ? '1 minute' : `${m} minutes`;
}
