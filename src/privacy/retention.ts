// Optional retention: people whose conversation has been quiet for N months are erased, as a
// deletion would (privacy/deletions.ts), by a daily job. Off by default: the privacy policy keeps
// data while the business serves the customer, and the public page says which rule applies.
import type { Queryable } from '../core/db';
import { AppError } from '../core/errors';
import type { Deps } from '../deps';
import { deleteSetting, getSetting, setSetting } from '../settings/store';

const KEY = 'privacy.retention_months';
export const MAX_RETENTION_MONTHS = 120;
/** People per pass: the rest follow the next day (or the next run), so one pass stays short. */
const PER_PASS = 500;

/** The retention in months, or undefined when it is off. */
export async function retentionMonths(db: Queryable): Promise<number | undefined> {
  const value = Number(await getSetting(db, KEY));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** `off`/empty turns it off; otherwise a whole number of months from 1 to 120. */
export function parseRetention(input: unknown): number | undefined {
  const text = typeof input === 'string' ? input.trim() : '';
  if (text === '' || text === 'off') return undefined;
  const months = Number(text);
  if (!Number.isInteger(months) || months < 1 || months > MAX_RETENTION_MONTHS)
    throw new AppError(
      422,
      'invalid-retention',
      `Retention is a whole number of months from 1 to ${MAX_RETENTION_MONTHS}, or off.`,
    );
  return months;
}

export async function setRetention(db: Queryable, months: number | undefined): Promise<void> {
  if (months === undefined) await deleteSetting(db, KEY);
  else await setSetting(db, KEY, String(months));
}

/** The moment before which a conversation's last activity makes it expire. */
export function retentionCutoff(months: number, now: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/** Erases the people quiet for longer than the retention; returns how many. */
export async function applyRetention(deps: Pick<Deps, 'db' | 'deletions'>, now = Date.now()): Promise<number> {
  const months = await retentionMonths(deps.db);
  if (!months) return 0;
  const expired = await deps.db.all<{ id: number }>(
    `SELECT k.id FROM contacts k LEFT JOIN conversations c ON c.contact_id = k.id
     WHERE COALESCE(c.last_message_at, k.created_at) < ? ORDER BY k.id LIMIT ?`,
    [retentionCutoff(months, now), PER_PASS],
  );
  return deps.deletions.eraseInactive(
    expired.map((r) => r.id),
    { actor: 'retention' },
    `no activity for ${months} months`,
  );
}
