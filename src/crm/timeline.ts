// A person's timeline on their page: one chronological list, newest first, of their messages and our
// replies (each linking into the conversation at that message), private notes, lead events, follow-ups,
// assignments and status changes, and the audit entries about them (exports, deletion requests,
// corrections). One UNION query ordered by (at, kind, id), paged by that key, so a page never skips
// or repeats an entry that shares its time with another. Read only: every table has its own writer.
import type { Queryable } from '../core/db';

export type TimelineKind = 'message' | 'note' | 'lead' | 'follow_up' | 'conversation' | 'audit';

export interface TimelineEntry {
  at: number;
  kind: TimelineKind;
  id: number;
  conversationId: number | null;
  /** message: direction; lead / conversation: the event's kind; follow_up: its state; audit: the action. */
  what: string | null;
  /** message / note / follow-up: the text (clipped); lead: the old value; audit: its detail (JSON). */
  text: string | null;
  /** lead: the new value; conversation: the status or the new assignee's name; follow-up: due time. */
  value: string | null;
  /** Who did it: a user's name or email, the audit log's actor, or null (the customer, the system). */
  actor: string | null;
}

export interface TimelinePage {
  entries: TimelineEntry[];
  /** The cursor of the next (older) page, or null when this was the last. */
  next: string | null;
}

export const TIMELINE_PAGE = 30;
const TEXT = 280;
const KINDS: TimelineKind[] = ['message', 'note', 'lead', 'follow_up', 'conversation', 'audit'];

/** A page cursor: `<at>.<kind>.<id>` of the last entry shown; anything else starts from the newest. */
export function parseCursor(value: unknown): { at: number; kind: string; id: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,15})\.([a-z_]{1,20})\.(\d{1,15})$/.exec(value);
  if (!m || !KINDS.includes(m[2] as TimelineKind)) return undefined;
  return { at: Number(m[1]), kind: m[2], id: Number(m[3]) };
}

/** The name (or email) of the user in `column`. */
const userName = (column: string) => `(SELECT COALESCE(u.name, u.email) FROM users u WHERE u.id = ${column})`;

export async function contactTimeline(
  db: Queryable,
  contactId: number,
  options: { cursor?: string; limit?: number } = {},
): Promise<TimelinePage> {
  const limit = Math.min(Math.max(options.limit ?? TIMELINE_PAGE, 1), 100);
  const cursor = parseCursor(options.cursor);
  // Each branch is cut at the cursor's time first (indexes do that), the exact row value after.
  const upTo = cursor?.at ?? Number.MAX_SAFE_INTEGER;
  const rows = await db.all<TimelineEntry>(
    `SELECT at, kind, id, conversationId, what, text, value, actor FROM (
       SELECT m.created_at AS at, CASE m.kind WHEN 'note' THEN 'note' ELSE 'message' END AS kind, m.id AS id,
              m.conversation_id AS conversationId, m.direction AS what, substr(m.text, 1, ${TEXT}) AS text,
              m.sent_by AS value, ${userName('m.sent_by_user_id')} AS actor
       FROM conversations c JOIN messages m ON m.conversation_id = c.id
       WHERE c.contact_id = ?1 AND m.created_at <= ?2
       UNION ALL
       SELECT e.at, 'lead', e.id, NULL, e.kind, e.from_value, e.to_value, ${userName('e.actor_user_id')}
       FROM leads l JOIN lead_events e ON e.lead_id = l.id
       WHERE l.contact_id = ?1 AND e.at <= ?2
       UNION ALL
       SELECT f.created_at, 'follow_up', f.id, f.conversation_id, f.state, substr(f.note, 1, ${TEXT}), CAST(f.due_at AS TEXT),
              ${userName('f.created_by')}
       FROM follow_ups f WHERE f.contact_id = ?1 AND f.created_at <= ?2
       UNION ALL
       SELECT e.at, 'conversation', e.id, e.conversation_id, e.kind,
              NULL, CASE e.kind WHEN 'assignee' THEN ${userName('CAST(e.value AS INTEGER)')} ELSE e.value END,
              ${userName('e.actor_user_id')}
       FROM conversations c JOIN conversation_events e ON e.conversation_id = c.id
       WHERE c.contact_id = ?1 AND e.at <= ?2
       UNION ALL
       SELECT a.at, 'audit', a.id, NULL, a.action, a.detail, NULL, a.actor
       FROM audit_log a WHERE a.target = ?3 AND a.at <= ?2
     )
     WHERE (at, kind, id) < (?2, ?4, ?5)
     ORDER BY at DESC, kind DESC, id DESC
     LIMIT ?6`,
    [contactId, upTo, `contact #${contactId}`, cursor?.kind ?? '~', cursor?.id ?? Number.MAX_SAFE_INTEGER, limit + 1],
  );
  const entries = rows.slice(0, limit);
  const last = entries.at(-1);
  return { entries, next: rows.length > limit && last ? `${last.at}.${last.kind}.${last.id}` : null };
}

const LEAD_WORDS: Record<string, string> = {
  created: 'Became a lead',
  stage: 'Lead stage',
  value: 'Lead value',
  close: 'Expected close',
  expected_close: 'Expected close',
  owner: 'Lead owner',
  lost_reason: 'Lost reason',
};

const AUDIT_WORDS: Record<string, string> = {
  'contact.updated': 'Details corrected',
  'contact.no_ai': '"No AI for this person" switched',
  'contact.imported': 'Details imported from CSV',
};

/** A short headline for an entry, in the page's words. */
export function headline(e: TimelineEntry): string {
  switch (e.kind) {
    case 'message':
      return e.what === 'in' ? 'They wrote' : e.value === 'ai' ? 'The AI replied' : 'Replied';
    case 'note':
      return 'Private note';
    case 'lead':
      return LEAD_WORDS[e.what ?? ''] ?? `Lead: ${e.what}`;
    case 'follow_up':
      return `Follow-up (${e.what})`;
    case 'conversation':
      if (e.what === 'label') return `Label ${e.value} added`;
      if (e.what === 'unlabel') return `Label ${e.value} removed`;
      return e.what === 'assignee' ? (e.value ? `Assigned to ${e.value}` : 'Unassigned') : `Marked ${e.value}`;
    case 'audit':
      return AUDIT_WORDS[e.what ?? ''] ?? (e.what ?? '').replace(/[._]/g, ' ');
  }
}

/** What changed, for a lead event (old → new) or an audit entry (the fields named in its detail). */
export function change(e: TimelineEntry): string {
  if (e.kind === 'lead') {
    if (e.what === 'created') return e.value ?? '';
    if (e.what === 'value') {
      const money = (v: string | null) => (v === null ? '—' : (Number(v) / 100).toFixed(2));
      return `${money(e.text)} → ${money(e.value)}`;
    }
    return `${e.text ?? '—'} → ${e.value ?? '—'}`;
  }
  if (e.kind === 'audit' && e.text) {
    try {
      const detail = JSON.parse(e.text) as Record<string, unknown>;
      if (Array.isArray(detail.fields)) return detail.fields.join(', ');
      if (typeof detail.on === 'boolean') return detail.on ? 'on' : 'off';
    } catch {
      return '';
    }
  }
  return '';
}
