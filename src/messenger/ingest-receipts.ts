// Webhook events about messages already stored, or about the person: read and delivery
// watermarks, reactions, edits, and referrals (the ad or link that brought someone). Meta may
// deliver them late, twice or out of order; each is applied once, and the newest one wins.
import { touchWindow } from '../inbox/threads';
import type { Ingest } from './ingest';
import type { MessagingEvent, Referral } from './webhook-events';

export async function read(x: Ingest, pageId: string, psid: string, watermark?: number): Promise<void> {
  const thread = await x.find(pageId, psid);
  if (!thread || typeof watermark !== 'number') return x.skip('read for an unknown thread or without watermark');
  // Everything sent at or before the watermark was read; watermarks are idempotent by nature.
  await advance(x, thread.conversationId, 'read', "status IN ('sent', 'delivered') AND COALESCE(sent_at, created_at) <= ?", [
    watermark,
  ]);
}

export async function delivery(
  x: Ingest,
  pageId: string,
  psid: string,
  d: NonNullable<MessagingEvent['delivery']>,
): Promise<void> {
  const thread = await x.find(pageId, psid);
  if (!thread) return x.skip('delivery for an unknown thread');
  if (typeof d.watermark === 'number') {
    await advance(x, thread.conversationId, 'delivered', "status = 'sent' AND COALESCE(sent_at, created_at) <= ?", [d.watermark]);
  }
  for (const mid of d.mids ?? []) await advance(x, thread.conversationId, 'delivered', "status = 'sent' AND mid = ?", [mid]);
}

async function advance(
  x: Ingest,
  conversationId: number,
  status: 'delivered' | 'read',
  condition: string,
  params: (string | number)[],
): Promise<void> {
  const rows = await x.db.all<{ id: number }>(
    `SELECT id FROM messages WHERE conversation_id = ? AND direction = 'out' AND kind = 'message' AND ${condition}`,
    [conversationId, ...params],
  );
  if (rows.length === 0) return;
  await x.db.run(`UPDATE messages SET status = ? WHERE id IN (${rows.map(() => '?').join(',')})`, [
    status,
    ...rows.map((r) => r.id),
  ]);
  for (const r of rows) x.result.messages.push({ conversationId, messageId: r.id, change: 'updated' });
  x.result.stored++;
}

export async function reaction(
  x: Ingest,
  pageId: string,
  psid: string,
  r: NonNullable<MessagingEvent['reaction']>,
  at: number,
): Promise<void> {
  const thread = await x.find(pageId, psid);
  if (!thread || !r.mid) return x.skip('reaction for an unknown thread or message');
  const key = `reaction:${r.mid}:${psid}:`;
  if (!(await x.firstTime(`${key}${at}:${r.action ?? 'react'}`))) return;
  // Out of order (Meta's retries after an outage): an older react/unreact must not undo a newer one.
  const newer = await x.db.get(
    'SELECT 1 FROM webhook_receipts WHERE substr(key, 1, ?) = ? AND CAST(substr(key, ? + 1) AS INTEGER) > ?',
    [key.length, key, key.length, at],
  );
  if (newer) return;
  const emoji = r.action === 'unreact' ? null : (r.emoji ?? r.reaction ?? null);
  const { changes } = await x.db.run('UPDATE messages SET reaction = ? WHERE mid = ? AND conversation_id = ?', [
    emoji,
    r.mid,
    thread.conversationId,
  ]);
  // A reaction re-opens the 24-hour window (PROTOCOL.md §C).
  await touchWindow(x.db, thread.conversationId, at);
  if (changes > 0) {
    const row = await x.db.get<{ id: number }>('SELECT id FROM messages WHERE mid = ?', [r.mid]);
    if (row) x.result.messages.push({ conversationId: thread.conversationId, messageId: row.id, change: 'updated' });
  }
  x.result.stored++;
}

export async function referral(x: Ingest, pageId: string, psid: string, ref: Referral, at: number): Promise<void> {
  if (!(await x.firstTime(`referral:${pageId}:${psid}:${at}`))) return;
  const thread = await x.ensure(pageId, psid, at);
  await saveReferral(x, thread.contactId, ref);
  await touchWindow(x.db, thread.conversationId, at);
  x.result.conversations.add(thread.conversationId);
  x.result.stored++;
}

/** The ad or link that brought someone is lead-source data for the CRM. */
export async function saveReferral(x: Ingest, contactId: number, ref: Referral): Promise<void> {
  await x.db.run(
    `UPDATE contacts SET referral_ref = COALESCE(?, referral_ref), referral_source = COALESCE(?, referral_source),
       referral_ad_id = COALESCE(?, referral_ad_id), lead_source = COALESCE(lead_source, ?), updated_at = ? WHERE id = ?`,
    [ref.ref ?? null, ref.source ?? null, ref.ad_id ?? null, ref.source ? ref.source.toLowerCase() : null, Date.now(), contactId],
  );
}

export async function edit(
  x: Ingest,
  pageId: string,
  psid: string,
  e: NonNullable<MessagingEvent['message_edit']>,
  at: number,
): Promise<void> {
  const thread = await x.find(pageId, psid);
  if (!thread || !e.mid) return x.skip('edit for an unknown thread or message');
  if (!(await x.firstTime(`edit:${e.mid}:${e.num_edit ?? at}`))) return;
  const row = await x.db.get<{ id: number; edited_at: number | null }>(
    'SELECT id, edited_at FROM messages WHERE mid = ? AND conversation_id = ?',
    [e.mid, thread.conversationId],
  );
  if (!row) return x.skip('edit of a message we never received');
  // Edits can arrive out of order too: the newest one wins.
  if (row.edited_at && row.edited_at > at) return;
  await x.db.run('UPDATE messages SET text = ?, edited_at = ? WHERE id = ?', [e.text ?? '', at, row.id]);
  x.result.messages.push({ conversationId: thread.conversationId, messageId: row.id, change: 'updated' });
  x.result.stored++;
}
