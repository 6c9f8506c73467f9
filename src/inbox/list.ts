// The conversation list as staff filter it (by status, by assignee: mine / unassigned / all, unread
// only, and by label) and as the JSON API lists it (by status and search); newest activity first,
// paged by a cursor. Rows carry what the list shows.
import type { Queryable } from '../core/db';
import { badRequest } from '../core/errors';
import type { AiMode, AiState } from '../conversations/ai-state';
import { STATUSES, type ConversationStatus } from '../conversations/queries';
import { conversationMatch } from './search';

export const WHO = ['all', 'mine', 'unassigned'] as const;
export type Who = (typeof WHO)[number];

export interface InboxFilter {
  status: ConversationStatus;
  who: Who;
  unread: boolean;
  labelId?: number;
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
}

export function parseFilter(query: Record<string, unknown>): InboxFilter {
  const status = STATUSES.includes(query.status as ConversationStatus) ? (query.status as ConversationStatus) : 'open';
  const who = WHO.includes(query.who as Who) ? (query.who as Who) : 'all';
  const label = Number(query.label);
  return { status, who, unread: query.unread === '1', labelId: Number.isSafeInteger(label) && label > 0 ? label : undefined };
}

/** The query string of a filter, for links and the live stream. */
export function filterQuery(f: InboxFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    status: f.status,
    who: f.who,
    ...(f.unread ? { unread: '1' } : {}),
    ...(f.labelId ? { label: String(f.labelId) } : {}),
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
  if (row.status !== f.status) return false;
  if (f.who === 'mine' && row.assignee_id !== userId) return false;
  if (f.who === 'unassigned' && row.assignee_id !== null) return false;
  if (f.unread && row.unread_count === 0) return false;
  if (f.labelId && !row.labels.some((l) => l.id === f.labelId)) return false;
  return true;
}

const ROW_SELECT = `SELECT c.id, c.status, c.last_message_at, c.last_inbound_at, c.last_message_preview, c.unread_count,
         c.assignee_id, COALESCE(NULLIF(u.name, ''), u.email) AS assignee_name, c.snoozed_until,
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
  const where = ['c.status = ?'];
  const params: (string | number)[] = [filter.status];
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
  const cursor = parseCursor(options.cursor);
  if (cursor) {
    where.push('(c.last_message_at < ? OR (c.last_message_at = ? AND c.id < ?))');
    params.push(cursor.at, cursor.at, cursor.id);
  }
  const rows = await db.all<Omit<InboxRow, 'labels'>>(
    `${ROW_SELECT} WHERE ${where.join(' AND ')} ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?`,
    [...params, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: await withLabels(db, page),
    nextCursor: rows.length > limit && last ? `${last.last_message_at}:${last.id}` : null,
  };
}

export async function inboxRow(db: Queryable, conversationId: number): Promise<InboxRow | undefined> {
  const row = await db.get<Omit<InboxRow, 'labels'>>(`${ROW_SELECT} WHERE c.id = ?`, [conversationId]);
  return row ? (await withLabels(db, [row]))[0] : undefined;
}

/** Conversations with unread messages that are open: the number in the tab title. */
export async function unreadTotal(db: Queryable): Promise<number> {
  return (
    (await db.get<{ n: number }>("SELECT count(*) AS n FROM conversations WHERE unread_count > 0 AND status = 'open'"))?.n ?? 0
  );
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
