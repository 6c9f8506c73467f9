// Reading the audit log as the owner's audit page does: filtered by kind of action, by who did it
// and by a date range (days in the business's time zone, TZ), newest first, paged by a keyset
// cursor on (at, id) so a page stays right while new entries arrive. It reads the log only.
import type { Queryable } from '../core/db';
import { badRequest } from '../core/errors';
import type { AuditRow } from './audit';

/**
 * Kinds of action, as LIKE patterns over `action`. An action belongs to every kind it matches
 * (an export of one person is both "contacts" and "exports").
 */
export const AUDIT_KINDS: Record<string, { label: string; patterns: string[] }> = {
  'sign-ins': { label: 'Sign-ins', patterns: ['login', 'login.%', 'logout', 'setup.%'] },
  users: { label: 'Users and roles', patterns: ['user.%'] },
  settings: { label: 'Settings and API tokens', patterns: ['settings.%', 'api-token.%'] },
  contacts: { label: 'Contacts', patterns: ['contact.%', 'contacts.%'] },
  exports: { label: 'Exports', patterns: ['%export%'] },
  deletions: { label: 'Deletions and retention', patterns: ['%delet%', '%erase%', 'retention%', '%wipe%'] },
  data: { label: 'Backups, restores and keys', patterns: ['%backup%', '%restore%', '%rekey%', 'key.%'] },
};

/** The kind a filter names (`kind:<name>`), if it is one of AUDIT_KINDS' own (never "__proto__" and such). */
function kindOf(what: string): { label: string; patterns: string[] } | undefined {
  const name = what.slice('kind:'.length);
  return what.startsWith('kind:') && Object.hasOwn(AUDIT_KINDS, name) ? AUDIT_KINDS[name] : undefined;
}

export interface AuditFilter {
  /** '' (everything), `kind:<name>` (AUDIT_KINDS) or one exact action. */
  what: string;
  /** Part of the actor (an email, `token:<name>`, `cli`); case does not matter. */
  actor: string;
  /** Days as YYYY-MM-DD, both included; '' for open-ended. */
  from: string;
  to: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight at the start of a YYYY-MM-DD day in the process's zone (TZ), or undefined for a date that is not one. */
function dayStart(text: string): number | undefined {
  const m = DAY.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const at = new Date(y, mo, d);
  return at.getFullYear() === y && at.getMonth() === mo && at.getDate() === d ? at.getTime() : undefined;
}

/** The filter a query string asks for, and what is wrong with it (by field), for the page to show. */
export function parseAuditFilter(query: Record<string, unknown>): { filter: AuditFilter; problems: Record<string, string> } {
  const text = (name: string, max: number) =>
    typeof query[name] === 'string' ? (query[name] as string).trim().slice(0, max) : '';
  const filter: AuditFilter = { what: text('what', 64), actor: text('actor', 254), from: text('from', 10), to: text('to', 10) };
  const problems: Record<string, string> = {};
  if (filter.what.startsWith('kind:') && !kindOf(filter.what)) problems.what = 'Choose a kind from the list.';
  if (filter.from && dayStart(filter.from) === undefined) problems.from = 'Enter a date like 2025-01-31.';
  if (filter.to && dayStart(filter.to) === undefined) problems.to = 'Enter a date like 2025-01-31.';
  if (!problems.from && !problems.to && filter.from && filter.to && filter.from > filter.to)
    problems.to = 'The end date comes before the start date.';
  return { filter, problems };
}

/** Cursor = "<at>:<id>" of the last entry of the previous page. */
function parseCursor(cursor: unknown): { at: number; id: number } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const m = typeof cursor === 'string' ? /^(\d{1,15}):(\d{1,15})$/.exec(cursor) : null;
  if (!m) throw badRequest('invalid-cursor', 'That page of the audit log is not one this server gave out.');
  return { at: Number(m[1]), id: Number(m[2]) };
}

export async function searchAudit(
  db: Queryable,
  filter: AuditFilter,
  options: { cursor?: unknown; limit?: number } = {},
): Promise<{ rows: AuditRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.what.startsWith('kind:')) {
    const kind = kindOf(filter.what);
    if (kind) {
      where.push(`(${kind.patterns.map(() => 'action LIKE ?').join(' OR ')})`);
      params.push(...kind.patterns);
    }
  } else if (filter.what) {
    where.push('action = ?');
    params.push(filter.what);
  }
  if (filter.actor) {
    where.push("actor LIKE ? ESCAPE '\\'");
    params.push(`%${filter.actor.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
  }
  const from = filter.from ? dayStart(filter.from) : undefined;
  if (from !== undefined) {
    where.push('at >= ?');
    params.push(from);
  }
  const to = filter.to ? dayStart(filter.to) : undefined;
  if (to !== undefined) {
    // The whole last day: up to the next midnight (not +24 h, which a clock change would skew).
    const end = new Date(to);
    end.setDate(end.getDate() + 1);
    where.push('at < ?');
    params.push(end.getTime());
  }
  const cursor = parseCursor(options.cursor);
  if (cursor) {
    where.push('(at < ? OR (at = ? AND id < ?))');
    params.push(cursor.at, cursor.at, cursor.id);
  }
  const rows = await db.all<AuditRow>(
    `SELECT id, at, actor, action, target, detail, ip FROM audit_log
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY at DESC, id DESC LIMIT ?`,
    [...params, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? `${last.at}:${last.id}` : null };
}

/** The actions and actors the log holds, for the filter's choices (refused sign-ins name no real actor). */
export async function auditChoices(db: Queryable): Promise<{ actions: string[]; actors: string[] }> {
  const [actions, actors] = await Promise.all([
    db.all<{ action: string }>('SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 200'),
    db.all<{ actor: string }>(
      "SELECT DISTINCT actor FROM audit_log WHERE action NOT IN ('login.failed', 'login.throttled') ORDER BY actor LIMIT 200",
    ),
  ]);
  return { actions: actions.map((a) => a.action), actors: actors.map((a) => a.actor) };
}

/** An entry's detail as a short line ("fields: name, email"); the writers keep it free of content. */
export function describeDetail(detail: string | null): string {
  if (!detail) return '';
  let value: unknown;
  try {
    value = JSON.parse(detail);
  } catch {
    return '';
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return '';
  const shown = (key: string, v: unknown) => {
    if (Array.isArray(v)) return v.join(', ');
    if (key.endsWith('_at') && typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString();
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const parts = Object.entries(value).map(([k, v]) => `${k}: ${shown(k, v)}`);
  const line = parts.join(' · ');
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
