// A conversation's activity: who changed its status, assignee or labels, and when
// (conversation_events). The workflow records them; the thread shows them as small lines between the
// messages ("Maria assigned Sam · 10:42"), the contact's timeline and the dashboard read them too.
import type { Queryable } from '../core/db';

export type EventKind = 'status' | 'assignee' | 'label' | 'unlabel';

/** The only writer of conversation_events (inside the workflow's transaction). */
export async function recordEvent(
  db: Queryable,
  conversationId: number,
  kind: EventKind,
  value: string | null,
  actorUserId?: number,
  until?: number,
): Promise<void> {
  await db.run(
    'INSERT INTO conversation_events (conversation_id, at, actor_user_id, kind, value, until) VALUES (?, ?, ?, ?, ?, ?)',
    [conversationId, Date.now(), actorUserId ?? null, kind, value, until ?? null],
  );
}

/** One activity line as the thread shows it. */
export interface ActivityLine {
  id: number;
  at: number;
  kind: EventKind;
  value: string | null;
  until: number | null;
  /** Who did it (null: the API, a job, a removed user). */
  actor_name: string | null;
  /** For 'assignee': the new assignee's name. */
  assignee_name: string | null;
}

const NAME = (col: string) => `(SELECT COALESCE(NULLIF(u.name, ''), u.email) FROM users u WHERE u.id = ${col})`;

/** The newest `limit` lines of a conversation, oldest first (the thread interleaves them by time). */
export async function listActivity(db: Queryable, conversationId: number, limit = 200): Promise<ActivityLine[]> {
  const rows = await db.all<ActivityLine>(
    `SELECT e.id, e.at, e.kind, e.value, e.until, ${NAME('e.actor_user_id')} AS actor_name,
            CASE e.kind WHEN 'assignee' THEN ${NAME('CAST(e.value AS INTEGER)')} END AS assignee_name
     FROM conversation_events e WHERE e.conversation_id = ? ORDER BY e.at DESC, e.id DESC LIMIT ?`,
    [conversationId, limit],
  );
  return rows.reverse();
}

/** The sentence of a line, without its time: "Maria assigned Sam", "Sam resolved", "Maria added label VIP". */
export function activityText(line: ActivityLine, clock: (at: number) => string): string {
  const who = line.actor_name ?? 'ChatX';
  switch (line.kind) {
    case 'assignee':
      if (!line.value) return `${who} unassigned the conversation`;
      return line.assignee_name && line.assignee_name === line.actor_name
        ? `${who} took the conversation`
        : `${who} assigned ${line.assignee_name ?? 'a removed user'}`;
    case 'label':
      return `${who} added label ${line.value ?? ''}`;
    case 'unlabel':
      return `${who} removed label ${line.value ?? ''}`;
    case 'status':
      if (line.value === 'snoozed') return `${who} snoozed${line.until ? ` until ${clock(line.until)}` : ''}`;
      if (line.value === 'open') return `${who} reopened`;
      if (line.value === 'pending') return `${who} marked pending`;
      return `${who} ${line.value ?? 'changed the status'}`;
  }
}
