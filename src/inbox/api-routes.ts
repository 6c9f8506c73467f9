// The JSON API for conversations, messages and attachments (the contract in README, JSON API).
// Every route here sits behind a bearer token or a signed-in session (app.ts). Changes go through
// the same services as the pages: replies through the outbox, conversation changes through the workflow.
import { Router, type Request } from 'express';
import { actorOf } from '../auth/middleware';
import { attachmentFile } from '../conversations/attachments';
import { displayName } from '../conversations/names';
import { getConversation, listMessages, STATUSES, type ConversationStatus } from '../conversations/queries';
import type { ConversationChange } from '../conversations/workflow';
import { AppError, badRequest } from '../core/errors';
import { clip } from '../core/format';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { listConversations } from './list';

/** Types served as what they are; any other is application/octet-stream (with nosniff, as everything). */
const SAFE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/wav',
  'audio/webm',
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'application/pdf',
  'text/plain',
]);
/** Shown in the page rather than downloaded: pictures, sound and video. */
const INLINE_TYPES = /^(image|audio|video)\//;

/** The body of PATCH /api/v1/conversations/:id, checked field by field. */
function conversationChange(body: Record<string, unknown>): ConversationChange {
  const change: ConversationChange = {};
  if (body.status !== undefined) {
    if (typeof body.status !== 'string' || !STATUSES.includes(body.status as ConversationStatus))
      throw badRequest('invalid-status', `status must be one of ${STATUSES.join(', ')}.`);
    change.status = body.status;
  }
  if (body.assignee_id !== undefined) {
    if (body.assignee_id !== null && !Number.isSafeInteger(body.assignee_id))
      throw badRequest('invalid-assignee', 'assignee_id must be an active user, or null.');
    change.assigneeId = body.assignee_id as number | null;
  }
  if (body.snoozed_until !== undefined) {
    const at = typeof body.snoozed_until === 'string' ? Date.parse(body.snoozed_until) : NaN;
    if (!Number.isFinite(at)) throw badRequest('invalid-snooze', 'snoozed_until must be a date and time (ISO 8601).');
    change.snoozeUntil = at;
  }
  return change;
}

export function apiRouter(deps: Deps): Router {
  const { db, outbox, workflow } = deps;
  const router = Router();
  const conversationOf = routeEntity(
    router,
    'conversation',
    (id) => getConversation(db, id),
    'That conversation does not exist.',
  );
  const attachmentOf = routeEntity(router, 'attachment', (id) => attachmentFile(db, id), 'That attachment does not exist.');

  router.get('/api/v1/conversations', async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.status && !STATUSES.includes(q.status as ConversationStatus)) {
      throw badRequest('invalid-status', `status must be one of ${STATUSES.join(', ')}.`);
    }
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      throw badRequest('invalid-limit', 'limit must be a whole number from 1 to 200.');
    const { rows, nextCursor } = await listConversations(db, {
      status: q.status as ConversationStatus | undefined,
      limit,
      cursor: q.cursor,
      q: q.q,
    });
    res.json({
      data: rows.map((r) => ({
        id: r.id,
        contact: { id: r.contact_id, name: displayName({ name: r.contact_name, psid: r.psid }), psid: r.psid },
        status: r.status,
        last_message_at: r.last_message_at ? new Date(r.last_message_at).toISOString() : null,
        unread: r.unread_count,
      })),
      next_cursor: nextCursor,
    });
  });

  router.get('/api/v1/conversations/:conversation/messages', async (req, res) => {
    const messages = await listMessages(db, conversationOf(req).id);
    res.json({
      data: messages.map((m) => ({
        id: m.id,
        direction: m.direction,
        text: m.text,
        attachments: m.attachments.map((a) => ({
          id: a.id,
          type: a.type,
          name: a.name ?? a.title,
          size: a.size,
          state: a.state,
        })),
        status: m.status,
        error: m.error_code ? { code: m.error_code, message: m.error_message } : undefined,
        sent_by: m.sent_by,
        created_at: new Date(m.created_at).toISOString(),
      })),
    });
  });

  router.post('/api/v1/conversations/:conversation/messages', async (req: Request, res) => {
    const text = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string') throw badRequest('invalid-text', 'Send {"text": "…"}.');
    const actor = actorOf(req)!;
    const queued = await outbox.queue({
      conversationId: conversationOf(req).id,
      text,
      sentBy: 'user',
      userId: actor.kind === 'user' ? actor.id : undefined,
    });
    res.status(202).json(queued);
  });

  router.patch('/api/v1/conversations/:conversation', async (req, res) => {
    const { id } = conversationOf(req);
    await workflow.change(id, conversationChange((req.body ?? {}) as Record<string, unknown>));
    const c = (await getConversation(db, id))!;
    res.json({ id: c.id, status: c.status, assignee_id: c.assignee_id });
  });

  router.get('/api/v1/attachments/:attachment', async (req, res) => {
    const file = attachmentOf(req);
    if (file.state !== 'stored' || !file.data) {
      const why = (
        {
          pending: 'is still being downloaded',
          unavailable: 'is no longer available from Meta',
          too_large: 'was too large to keep',
        } as Record<string, string>
      )[file.state];
      throw new AppError(409, `attachment-${file.state.replace('_', '-')}`, `This attachment ${why ?? 'has no content'}.`);
    }
    // Served as what it claims only when that is on a short list of types a browser shows safely;
    // anything else (an `.html` or `.js` a customer or staff member sent, say) is plain bytes, as a download.
    const claimed = (file.content_type ?? '').toLowerCase();
    const type = SAFE_TYPES.has(claimed) ? claimed : 'application/octet-stream';
    const inline = INLINE_TYPES.test(type);
    res.set({
      'Content-Type': type,
      'Content-Length': String(file.data.length),
      'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(clip(file.name ?? file.type, 200))}`,
      'Cache-Control': 'private, max-age=3600',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
    res.send(file.data);
  });

  return router;
}
