// A conversation's activity as its list row shows it: the newest message and its preview, unread
// count, the last inbound time (which opens the reply window), the first one (when the conversation
// began, for the dashboard), and the reopening of a resolved or snoozed conversation when the
// customer writes again.
import type { Queryable } from '../core/db';

export function preview(text: string | null | undefined, attachmentType?: string): string {
  if (text && text.trim()) return text.trim().replace(/\s+/g, ' ').slice(0, 140);
  if (attachmentType)
    return attachmentType === 'image' ? '📷 Photo' : attachmentType === 'sticker' ? 'Sticker' : `📎 ${attachmentType}`;
  return '';
}

/** A new message, as its conversation records it. */
export interface Touch {
  conversationId: number;
  at: number;
  direction: 'in' | 'out';
  preview: string;
}

/** Conversations touched per statement; six parameters each, far below SQLite's limit. */
const TOUCHES_PER_STATEMENT = 100;

/**
 * Records new messages on their conversations: one statement per hundred conversations, with the
 * same outcome as touching them one at a time in order: the newest message (the later one on a tie)
 * gives the preview, every inbound message adds to unread and reopens a resolved or snoozed
 * conversation; the list order follows the newest message time.
 */
export async function touchConversations(db: Queryable, touches: Touch[]): Promise<void> {
  const merged = new Map<
    number,
    { at: number; preview: string; inboundAt: number | null; firstInboundAt: number | null; unread: number }
  >();
  for (const t of touches) {
    const m = merged.get(t.conversationId) ?? { at: -Infinity, preview: '', inboundAt: null, firstInboundAt: null, unread: 0 };
    if (t.at >= m.at) Object.assign(m, { at: t.at, preview: t.preview });
    if (t.direction === 'in') {
      m.inboundAt = Math.max(m.inboundAt ?? t.at, t.at);
      m.firstInboundAt = Math.min(m.firstInboundAt ?? t.at, t.at);
      m.unread++;
    }
    merged.set(t.conversationId, m);
  }
  const rows = [...merged];
  for (let i = 0; i < rows.length; i += TOUCHES_PER_STATEMENT) {
    const chunk = rows.slice(i, i + TOUCHES_PER_STATEMENT);
    await db.run(
      `WITH v (id, at, preview, inbound_at, first_in, unread) AS (VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')})
       UPDATE conversations SET
         last_message_preview = CASE WHEN v.at >= COALESCE(last_message_at, 0) THEN v.preview ELSE last_message_preview END,
         last_message_at = MAX(COALESCE(last_message_at, 0), v.at),
         last_inbound_at = CASE WHEN v.inbound_at IS NOT NULL THEN MAX(COALESCE(last_inbound_at, 0), v.inbound_at)
           ELSE last_inbound_at END,
         first_inbound_at = CASE WHEN v.first_in IS NOT NULL
           THEN MIN(COALESCE(conversations.first_inbound_at, v.first_in), v.first_in) ELSE conversations.first_inbound_at END,
         unread_count = unread_count + v.unread,
         status = CASE WHEN v.inbound_at IS NOT NULL AND status IN ('resolved', 'snoozed') THEN 'open' ELSE status END,
         snoozed_until = CASE WHEN v.inbound_at IS NOT NULL AND status = 'snoozed' THEN NULL ELSE snoozed_until END,
         updated_at = ?
       FROM v WHERE conversations.id = v.id`,
      [...chunk.flatMap(([id, m]) => [id, m.at, m.preview, m.inboundAt, m.firstInboundAt, m.unread]), Date.now()],
    );
  }
}

/** A customer action that opens the 24-hour window without being a message (reaction, referral). */
export async function touchWindow(db: Queryable, conversationId: number, at: number): Promise<void> {
  await db.run('UPDATE conversations SET last_inbound_at = MAX(COALESCE(last_inbound_at, 0), ?) WHERE id = ?', [
    at,
    conversationId,
  ]);
}
