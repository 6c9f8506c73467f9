// The JSON API for conversations, messages and attachments (CONTRACT.md). Every route here sits
// behind a bearer token or a signed-in session (app.ts).
import { Router, type Request } from 'express';
import { actorOf } from '../auth/middleware';
import { AppError, badRequest, notFound } from '../core/errors';
import { routeId } from '../core/http';
import type { Deps } from '../deps';
import { queueMessage } from '../messenger/outbox';
import { listConversations, STATUSES, type ConversationStatus } from './conversations';
import { getConversation, listMessages } from './messages';
import { displayName } from './threads';

export function apiRouter(deps: Deps): Router {
  const { db, config, bus, outbox } = deps;
  const router = Router();

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

  router.get('/api/v1/conversations/:id/messages', async (req, res) => {
    const conversationId = routeId(req.params.id);
    if (!(await getConversation(db, conversationId))) throw notFound('That conversation does not exist.');
    const messages = await listMessages(db, conversationId);
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

  router.post('/api/v1/conversations/:id/messages', async (req: Request, res) => {
    const conversationId = routeId(req.params.id);
    const text = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string') throw badRequest('invalid-text', 'Send {"text": "…"}.');
    const actor = actorOf(req)!;
    const queued = await queueMessage(db, config, {
      conversationId,
      text,
      sentBy: 'user',
      userId: actor.kind === 'user' ? actor.id : undefined,
    });
    bus.emit('message', { conversationId, messageId: queued.id, change: 'created' });
    bus.emit('conversation', { conversationId });
    void outbox.kick();
    res.status(202).json(queued);
  });

  router.patch('/api/v1/conversations/:id', async (req, res) => {
    const conversationId = routeId(req.params.id);
    const body = (req.body ?? {}) as { status?: unknown; assignee_id?: unknown };
    if (body.status !== undefined && !STATUSES.includes(body.status as ConversationStatus)) {
      throw badRequest('invalid-status', `status must be one of ${STATUSES.join(', ')}.`);
    }
    if (body.assignee_id !== undefined && body.assignee_id !== null) {
      const user = await db.get("SELECT id FROM users WHERE id = ? AND status = 'active'", [Number(body.assignee_id)]);
      if (!user) throw badRequest('invalid-assignee', 'assignee_id must be an active user, or null.');
    }
    if (!(await getConversation(db, conversationId))) throw notFound('That conversation does not exist.');
    await db.run(
      `UPDATE conversations SET status = COALESCE(?, status),
         assignee_id = CASE WHEN ? THEN ? ELSE assignee_id END,
         snoozed_until = CASE WHEN COALESCE(?, status) = 'snoozed' THEN snoozed_until ELSE NULL END,
         updated_at = ? WHERE id = ?`,
      [
        (body.status as string | undefined) ?? null,
        body.assignee_id !== undefined ? 1 : 0,
        body.assignee_id === null || body.assignee_id === undefined ? null : Number(body.assignee_id),
        (body.status as string | undefined) ?? null,
        Date.now(),
        conversationId,
      ],
    );
    bus.emit('conversation', { conversationId });
    const c = (await getConversation(db, conversationId))!;
    res.json({ id: c.id, status: c.status, assignee_id: c.assignee_id });
  });

  router.get('/api/v1/attachments/:id', async (req, res) => {
    const row = await db.get<{
      state: string;
      data: Buffer | null;
      content_type: string | null;
      name: string | null;
      type: string;
    }>('SELECT state, data, content_type, name, type FROM attachments WHERE id = ?', [routeId(req.params.id)]);
    if (!row) throw notFound('That attachment does not exist.');
    if (row.state !== 'stored' || !row.data) {
      const why = {
        pending: 'is still being downloaded',
        unavailable: 'is no longer available from Meta',
        too_large: 'was too large to keep',
      }[row.state];
      throw new AppError(409, `attachment-${row.state.replace('_', '-')}`, `This attachment ${why ?? 'has no content'}.`);
    }
    const type = row.content_type ?? 'application/octet-stream';
    // Images display inline; anything else downloads, so a hostile file cannot run as a page here.
    const inline = /^image\/(png|jpe?g|gif|webp)$/.test(type) || /^(audio|video)\//.test(type);
    res.set({
      'Content-Type': type,
      'Content-Length': String(row.data.length),
      'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(row.name ?? `${row.type}`)}`,
      'Cache-Control': 'private, max-age=3600',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
    res.send(row.data);
  });

  return router;
}
