// Webhook events that carry a message: text (collected for the batch's one INSERT, see
// plain-messages.ts), messages with attachments (each file queued for download), echoes of what
// the Page sent (ours reconciled with the outbox, others stored as sent outside ChatX) and
// postbacks (button taps). Each runs inside the batch's transaction through its Ingest.
import { preview, touchConversation } from '../inbox/threads';
import type { Ingest } from './ingest';
import { saveReferral } from './ingest-receipts';
import { parseOutboxMetadata } from './metadata';
import {
  DOWNLOADABLE,
  usableAttachments,
  type IncomingAttachment,
  type IncomingMessage,
  type MessagingEvent,
} from './webhook-events';

async function insertMessage(
  x: Ingest,
  row: {
    conversationId: number;
    mid: string;
    direction: 'in' | 'out';
    kind?: 'message' | 'postback';
    text: string | null;
    status: string;
    sentBy: string;
    at: number;
    quickReply?: string | null;
    replyTo?: string | null;
    metadata?: string | null;
  },
): Promise<number | undefined> {
  const { changes, lastID } = await x.db.run(
    `INSERT INTO messages (conversation_id, mid, direction, kind, text, status, sent_by, quick_reply, reply_to_mid,
       metadata, created_at, received_at, sent_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mid) DO NOTHING`,
    [
      row.conversationId,
      row.mid,
      row.direction,
      row.kind ?? 'message',
      row.text,
      row.status,
      row.sentBy,
      row.quickReply ?? null,
      row.replyTo ?? null,
      row.metadata ?? null,
      row.at,
      Date.now(),
      row.direction === 'out' ? row.at : null,
    ],
  );
  if (changes === 0) {
    x.result.duplicates++;
    return undefined;
  }
  x.result.stored++;
  x.result.conversations.add(row.conversationId);
  x.result.messages.push({ conversationId: row.conversationId, messageId: lastID, change: 'created' });
  return lastID;
}

/** Text without attachments: collected and written with the batch's others (plain-messages.ts). */
export async function plainMessage(
  x: Ingest,
  pageId: string,
  psid: string,
  mid: string,
  m: IncomingMessage,
  at: number,
): Promise<void> {
  // Someone new is created at the flush, with the batch's other new people.
  const thread = await x.find(pageId, psid);
  x.collect({
    result: x.result,
    pageId,
    psid,
    conversationId: thread?.conversationId,
    mid,
    text: m.text ?? null,
    quickReply: m.quick_reply?.payload ?? null,
    replyTo: m.reply_to?.mid ?? null,
    at,
    preview: preview(m.text),
  });
}

export async function message(x: Ingest, pageId: string, psid: string, m: IncomingMessage, at: number): Promise<void> {
  if (!m.mid) return x.skip('message without mid');
  const thread = await x.ensure(pageId, psid, at);
  const attachments = usableAttachments(m);
  const messageId = await insertMessage(x, {
    conversationId: thread.conversationId,
    mid: m.mid,
    direction: 'in',
    text: m.text ?? null,
    status: 'received',
    sentBy: 'contact',
    at,
    quickReply: m.quick_reply?.payload,
    replyTo: m.reply_to?.mid,
  });
  if (messageId === undefined) return;
  await storeAttachments(x, messageId, attachments);
  x.later(
    touchConversation(x.db, thread.conversationId, { at, direction: 'in', preview: preview(m.text, attachments[0]?.type) }),
  );
}

async function storeAttachments(x: Ingest, messageId: number, attachments: IncomingAttachment[]): Promise<void> {
  for (const a of attachments) {
    const type = a.type ?? 'fallback';
    const url = a.payload?.url;
    const downloadable = Boolean(url) && DOWNLOADABLE.has(type);
    const { lastID } = await x.db.run(
      `INSERT INTO attachments (message_id, type, state, source_url, title, sticker_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        messageId,
        type,
        downloadable ? 'pending' : 'unavailable',
        url ?? null,
        a.payload?.title ?? a.title ?? null,
        a.payload?.sticker_id != null ? String(a.payload.sticker_id) : null,
        Date.now(),
      ],
    );
    // The URLs expire (PROTOCOL.md §E): fetch the bytes now, as a job.
    if (downloadable)
      await x.queue({ kind: 'messenger.attachment', payload: { attachmentId: lastID }, dedupeKey: `attachment:${lastID}` });
  }
}

export async function echo(x: Ingest, pageId: string, psid: string | undefined, m: IncomingMessage, at: number): Promise<void> {
  if (!psid || !m.mid) return x.skip('echo without recipient or mid');
  // Our own send: reconcile it with the outbox by the metadata we attached; never store it twice.
  const ours = parseOutboxMetadata(m.metadata);
  if (ours) {
    const { changes } = await x.db.run(
      // The echo's timestamp is the message's time on Meta's clock, which read/delivery
      // watermarks are compared with: prefer it to our own clock when it is earlier.
      `UPDATE messages SET mid = COALESCE(mid, ?), status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END,
         sent_at = MIN(COALESCE(sent_at, ?), ?) WHERE id = ? AND direction = 'out'`,
      [m.mid, at, at, ours.messageId],
    );
    if (changes > 0) {
      // The echo proves this part reached Meta: the sender must not send it again after a crash.
      await x.db.run(
        `UPDATE outbox SET parts_sent = MAX(parts_sent, ?),
           state = CASE WHEN MAX(parts_sent, ?) >= parts_total THEN 'done' ELSE state END WHERE message_id = ?`,
        [ours.part + 1, ours.part + 1, ours.messageId],
      );
      const row = await x.db.get<{ conversation_id: number }>('SELECT conversation_id FROM messages WHERE id = ?', [
        ours.messageId,
      ]);
      if (row) x.result.messages.push({ conversationId: row.conversation_id, messageId: ours.messageId, change: 'updated' });
      x.result.duplicates++;
      return;
    }
  }
  if (await x.db.get('SELECT id FROM messages WHERE mid = ?', [m.mid])) {
    x.result.duplicates++;
    return;
  }
  if (ours || (x.ownAppId && String(m.app_id ?? '') === x.ownAppId)) {
    // Ours, but the message it belonged to is gone (deleted): nothing to store.
    return x.skip('echo of a ChatX message that no longer exists');
  }
  // Sent from Meta's Page inbox or the phone app: keep it, marked as sent outside ChatX.
  const thread = await x.ensure(pageId, psid, at);
  const attachments = usableAttachments(m);
  const messageId = await insertMessage(x, {
    conversationId: thread.conversationId,
    mid: m.mid,
    direction: 'out',
    text: m.text ?? null,
    status: 'sent',
    sentBy: 'outside',
    at,
    metadata: m.app_id ? JSON.stringify({ app_id: String(m.app_id) }) : null,
  });
  if (messageId === undefined) return;
  await storeAttachments(x, messageId, attachments);
  x.later(
    touchConversation(x.db, thread.conversationId, { at, direction: 'out', preview: preview(m.text, attachments[0]?.type) }),
  );
}

export async function postback(
  x: Ingest,
  pageId: string,
  psid: string,
  p: NonNullable<MessagingEvent['postback']>,
  at: number,
): Promise<void> {
  const thread = await x.ensure(pageId, psid, at);
  // Older postbacks have no mid; the natural key is who tapped what, when.
  const mid = p.mid ?? `postback:${psid}:${at}:${p.payload ?? ''}`;
  const messageId = await insertMessage(x, {
    conversationId: thread.conversationId,
    mid,
    direction: 'in',
    kind: 'postback',
    text: p.title ?? p.payload ?? 'Button tapped',
    status: 'received',
    sentBy: 'contact',
    at,
    metadata: JSON.stringify({ payload: p.payload ?? null }),
  });
  if (messageId === undefined) return;
  if (p.referral) await saveReferral(x, thread.contactId, p.referral);
  x.later(touchConversation(x.db, thread.conversationId, { at, direction: 'in', preview: preview(p.title ?? 'Button tapped') }));
}
