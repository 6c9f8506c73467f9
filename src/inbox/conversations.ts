// Conversation queries for the inbox list: newest activity first, paged by a cursor.
import type { Queryable } from '../core/db';
import { badRequest } from '../core/errors';
import { conversationMatch } from './search';

export const STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof STATUSES)[number];

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

/** Cursor = "<last_message_at>:<id>" of the last row of the previous page (stable under inserts). */
export function parseCursor(cursor: unknown): { at: number; id: number } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const m = typeof cursor === 'string' ? /^(-?\d+):(\d+)$/.exec(cursor) : null;
  if (!m) throw badRequest('invalid-cursor', 'The cursor is not one this server gave out.');
  return { at: Number(m[1]), id: Number(m[2]) };
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
