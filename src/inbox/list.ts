// The conversation list as staff filter it (by status or all of them, by assignee: mine / unassigned /
// all, unread only, by label, and by a search typed in the list) and sort it (newest, oldest, or the
// customer waiting longest for a reply), and as the JSON API lists it (by status and search, newest
// first); paged by a cursor. Rows carry what the list shows.
import type { Queryable } from '../core/db';
import { badRequest } from '../core/errors';
import type { AiMode, AiState } from '../conversations/ai-state';
import { STATUSES, type ConversationStatus } from '../conversations/queries';
import { conversationMatch } from './search';

export const WHO = ['all', 'mine', 'unassigned'] as const;
export type Who = (typeof WHO)[number];

export const SORTS = ['newest', 'oldest', 'waiting'] as const;
export type Sort = (typeof SORTS)[number];

export interface InboxFilter {
  status: ConversationStatus | 'all';
  who: Who;
  unread: boolean;
  labelId?: number;
  sort: Sort;
  /** Words typed in the list's search box (the full search page is /search). */
  q?: string;
}

export interface InboxRow {
  id: number;
  status: ConversationStatus;
  last_message_at: number;
  last_inbound_at: number | null;
  last_message_preview: string | null;
  unread_count: number;
  assignee_id: number | null;
  assignee_name: string | null;
  /** Who made the latest assignment (null: the API, a rule, a removed user, or never assigned). */
  assigned_by: number | null;
  contact_id: number;
  contact_name: string | null;
  psid: string;
  snoozed_until: number | null;
  /** The AI's standing here (conversations/ai-state.ts): 'needs_person' shows a badge. */
  ai_state: AiState;
  ai_reason: string | null;
  /** This conversation's own AI mode (null: follow Settings). */
  ai_mode: AiMode | null;
  /** The person asked for no AI (1). */
  no_ai: number;
  labels: { id: number; name: string; color: string }[];
  /** Where the row sorts in its list (newest: its last message time; waiting: see SORT_KEY). */
  sort_key?: number;
}

export function parseFilter(query: Record<string, unknown>): InboxFilter {
  const status =
    query.status === 'all' || STATUSES.includes(query.status as ConversationStatus)
      ? (query.status as ConversationStatus | 'all')
      : 'open';
  const who = WHO.includes(query.who as Who) ? (query.who as Who) : 'all';
  const label = Number(query.label);
  const sort = SORTS.includes(query.sort as Sort) ? (query.sort as Sort) : 'newest';
  const q = typeof query.q === 'string' ? query.q.trim().slice(0, 200) : '';
  return {
    status,
    who,
    unread: query.unread === '1',
    labelId: Number.isSafeInteger(label) && label > 0 ? label : undefined,
    sort,
    ...(q ? { q } : {}),
  };
}

/** The query string of a filter, for links and the live stream. */
export function filterQuery(f: InboxFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    status: f.status,
    who: f.who,
    ...(f.unread ? { unread: '1' } : {}),
    ...(f.labelId ? { label: String(f.labelId) } : {}),
    ...(f.sort !== 'newest' ? { sort: f.sort } : {}),
    ...(f.q ? { q: f.q } : {}),
    ...extra,
  });
  return params.toString();
}

/** Whether a row belongs in a list with this filter (used by the live stream for rows that change). */
export function matchesFilter(
  row: Pick<InboxRow, 'status' | 'assignee_id' | 'unread_count' | 'labels'>,
  f: InboxFilter,
  userId: number,
): boolean {
  if (f.status !== 'all' && row.status !== f.status) return false;
  if (f.who === 'mine' && row.assignee_id !== userId) return false;
  if (f.who === 'unassigned' && row.assignee_id !== null) return false;
  if (f.unread && row.unread_count === 0) return false;
  if (f.labelId && !row.labels.some((l) => l.id === f.labelId)) return false;
  return true;
}

/**
 * Since when the customer has waited for a reply: their first message after the business's last
 * reply (null when answered). Both lookups use messages_mid_lookup (conversation, direction, time).
 */
const WAITING_SINCE = `(SELECT min(i.created_at) FROM messages i WHERE i.conversation_id = c.id AND i.direction = 'in'
    AND i.created_at > COALESCE((SELECT max(o.created_at) FROM messages o
      WHERE o.conversation_id = c.id AND o.direction = 'out' AND o.kind = 'message'), 0))`;

/**
 * One number to sort and page by, ascending or descending per sort. Waiting longest: those waiting,
 * longest first, then the answered ones newest first (a far-future number minus their last time).
 */
const SORT_KEY: Record<Sort, { sql: string; desc: boolean }> = {
  newest: { sql: 'c.last_message_at', desc: true },
  oldest: { sql: 'c.last_message_at', desc: false },
  waiting: { sql: `COALESCE(${WAITING_SINCE}, 9000000000000000 - c.last_message_at)`, desc: false },
};

const ROW_SELECT = `SELECT c.id, c.status, c.last_message_at, c.last_inbound_at, c.last_message_preview, c.unread_count,
         c.assignee_id, COALESCE(NULLIF(u.name, ''), u.email) AS assignee_name, c.snoozed_until,
         (SELECT e.actor_user_id FROM conversation_events e WHERE e.conversation_id = c.id AND e.kind = 'assignee'
          ORDER BY e.at DESC, e.id DESC LIMIT 1) AS assigned_by,
         c.ai_state, c.ai_reason, c.ai_mode, k.no_ai,
         k.id AS contact_id, k.name AS contact_name, k.psid
  FROM conversations c JOIN contacts k ON k.id = c.contact_id LEFT JOIN users u ON u.id = c.assignee_id`;

async function withLabels(db: Queryable, rows: Omit<InboxRow, 'labels'>[]): Promise<InboxRow[]> {
  if (rows.length === 0) return [];
  const labels = await db.all<{ conversation_id: number; id: number; name: string; color: string }>(
    `SELECT cl.conversation_id, l.id, l.name, l.color FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
     WHERE cl.conversation_id IN (${rows.map(() => '?').join(',')}) ORDER BY l.name`,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    ...r,
    labels: labels.filter((l) => l.conversation_id === r.id).map(({ id, name, color }) => ({ id, name, color })),
  }));
}

export async function listInbox(
  db: Queryable,
  filter: InboxFilter,
  userId: number,
  options: { cursor?: string; limit?: number } = {},
): Promise<{ rows: InboxRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.status !== 'all') {
    where.push('c.status = ?');
    params.push(filter.status);
  }
  if (filter.who === 'mine') {
    where.push('c.assignee_id = ?');
    params.push(userId);
  } else if (filter.who === 'unassigned') {
    where.push('c.assignee_id IS NULL');
  }
  if (filter.unread) where.push('c.unread_count > 0');
  if (filter.labelId) {
    where.push('c.id IN (SELECT conversation_id FROM conversation_labels WHERE label_id = ?)');
    params.push(filter.labelId);
  }
  if (filter.q) {
    const match = conversationMatch(filter.q);
    where.push(match.sql);
    params.push(...match.params);
  }
  const key = SORT_KEY[filter.sort];
  const [before, dir] = key.desc ? ['<', 'DESC'] : ['>', 'ASC'];
  const cursor = parseCursor(options.cursor);
  if (cursor) {
    where.push(`(${key.sql} ${before} ? OR (${key.sql} = ? AND c.id ${before} ?))`);
    params.push(cursor.at, cursor.at, cursor.id);
  }
  const select = ROW_SELECT.replace('SELECT ', `SELECT ${key.sql} AS sort_key, `);
  const rows = await db.all<Omit<InboxRow, 'labels'>>(
    `${select} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY sort_key ${dir}, c.id ${dir} LIMIT ?`,
    [...params, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: await withLabels(db, page),
    nextCursor: rows.length > limit && last ? `${last.sort_key}:${last.id}` : null,
  };
}

export async function inboxRow(db: Queryable, conversationId: number, sort: Sort = 'newest'): Promise<InboxRow | undefined> {
  const select = ROW_SELECT.replace('SELECT ', `SELECT ${SORT_KEY[sort].sql} AS sort_key, `);
  const row = await db.get<Omit<InboxRow, 'labels'>>(`${select} WHERE c.id = ?`, [conversationId]);
  return row ? (await withLabels(db, [row]))[0] : undefined;
}

/** Conversations with unread messages that are open: the number in the tab title. */
export async function unreadTotal(db: Queryable): Promise<number> {
  return (
    (await db.get<{ n: number }>("SELECT count(*) AS n FROM conversations WHERE unread_count > 0 AND status = 'open'"))?.n ?? 0
  );
}

/** Whether the list sorts its newest rows first (the live stream places changed rows by sort_key). */
export function newestFirst(sort: Sort): boolean {
  return SORT_KEY[sort].desc;
}

export async function counts(db: Queryable): Promise<Record<ConversationStatus, number>> {
  const rows = await db.all<{ status: ConversationStatus; n: number }>(
    'SELECT status, count(*) AS n FROM conversations GROUP BY status',
  );
  const out = { open: 0, pending: 0, snoozed: 0, resolved: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** Cursor = "<last_message_at>:<id>" of the last row of the previous page (stable under inserts). */
export function parseCursor(cursor: unknown): { at: number; id: number } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const m = typeof cursor === 'string' ? /^(-?\d+):(\d+)$/.exec(cursor) : null;
  if (!m) throw badRequest('invalid-cursor', 'The cursor is not one this server gave out.');
  return { at: Number(m[1]), id: Number(m[2]) };
}

/** A conversation as the JSON API lists it. */
export interface ConversationRow {
  id: number;
  status: ConversationStatus;
  last_message_at: number | null;
  last_message_preview: string | null;
  unread_count: number;
  assignee_id: number | null;
  contact_id: number;
  contact_name: string | null;
  psid: string;
}

export async function listConversations(
  db: Queryable,
  options: { status?: ConversationStatus; limit?: number; cursor?: string; q?: string },
): Promise<{ rows: ConversationRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const cursor = parseCursor(options.cursor);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.status) {
    where.push('c.status = ?');
    params.push(options.status);
  }
  const q = options.q?.trim();
  if (q) {
    // The contact's name or any message matches (full-text), or q is the exact PSID.
    const match = conversationMatch(q);
    where.push(match.sql);
    params.push(...match.params);
  }
  if (cursor) {
    where.push('(c.last_message_at < ? OR (c.last_message_at = ? AND c.id < ?))');
    params.push(cursor.at, cursor.at, cursor.id);
  }
  const rows = await db.all<ConversationRow>(
    `SELECT c.id, c.status, c.last_message_at, c.last_message_preview, c.unread_count, c.assignee_id,
            k.id AS contact_id, k.name AS contact_name, k.psid
     FROM conversations c JOIN contacts k ON k.id = c.contact_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY c.last_message_at DESC, c.id DESC
     LIMIT ?`,
    [...params, limit + 1],
  );
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: more && last ? `${last.last_message_at ?? 0}:${last.id}` : null };
}
