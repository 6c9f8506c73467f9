// A conversation: opening it (marks it read and tells Messenger "seen"), replying (text and files),
// private notes, retrying a failed send, and the workflow actions on it.
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { requireUser, uploadCsrf } from '../auth/middleware';
import { AppError, badRequest } from '../core/errors';
import { enqueueJob } from '../core/queue';
import { routeId } from '../core/http';
import type { Deps } from '../deps';
import { MAX_FILE_BYTES, queueMessage, retryMessage } from '../messenger/outbox';
import { filterQuery, parseFilter } from './list';
import { renderInbox } from './page';

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_FILE_BYTES, files: 10, fields: 20 } });

/** Snooze presets, in the business's time zone (TZ is the process zone). */
export function snoozeUntil(preset: string, custom: string, now = new Date()): number {
  if (preset === '1h') return now.getTime() + 3600_000;
  if (preset === 'tomorrow') {
    const t = new Date(now);
    t.setDate(t.getDate() + 1);
    t.setHours(9, 0, 0, 0);
    return t.getTime();
  }
  if (preset === 'week') {
    const t = new Date(now);
    t.setDate(t.getDate() + ((8 - t.getDay()) % 7 || 7));
    t.setHours(9, 0, 0, 0);
    return t.getTime();
  }
  const at = custom ? new Date(custom).getTime() : NaN;
  if (!Number.isFinite(at)) throw badRequest('invalid-snooze', 'Choose when the conversation should come back.');
  return at;
}

export function conversationRouter(deps: Deps): Router {
  const { db, config, bus, outbox, queue, workflow, live } = deps;
  const router = Router();
  router.use('/conversations', requireUser);

  const back = (req: Request, res: Response, conversationId: number) =>
    res.redirect(303, `/conversations/${conversationId}?${filterQuery(parseFilter(req.query as Record<string, unknown>))}`);

  router.get('/conversations/:id', async (req, res) => {
    const conversationId = routeId(req.params.id);
    // Opening the conversation reads it; Messenger shows the customer "Seen". Before the render, so
    // the page shows it read (and the job exists by the time the page arrives).
    if (await workflow.markRead(conversationId)) {
      await enqueueJob(db, 'messenger.sender_action', { conversationId, action: 'mark_seen' });
      void queue.kick();
    }
    await renderInbox(deps, req, res, { conversationId });
  });

  router.post('/conversations/:id/messages', upload.array('files', 10), uploadCsrf, async (req, res) => {
    const conversationId = routeId(req.params.id);
    const user = req.session!.user;
    const text = typeof req.body?.text === 'string' ? (req.body.text as string) : '';
    const mode = req.body?.mode === 'note' ? 'note' : 'reply';
    const files = ((req.files as Express.Multer.File[] | undefined) ?? []).map((f) => ({
      name: f.originalname,
      contentType: f.mimetype || 'application/octet-stream',
      data: f.buffer,
    }));
    try {
      if (mode === 'note') {
        if (files.length) throw badRequest('note-files', 'Notes are text only; send files as a reply.');
        await workflow.addNote(conversationId, user.id, text);
      } else {
        const queued = await queueMessage(db, config, { conversationId, text, files, sentBy: 'user', userId: user.id });
        bus.emit('message', { conversationId, messageId: queued.id, change: 'created' });
        bus.emit('conversation', { conversationId });
        await workflow.selfAssignIfUnassigned(conversationId, user.id);
        void outbox.kick();
      }
    } catch (err) {
      if (err instanceof AppError && err.status < 500 && err.status !== 404) {
        return renderInbox(deps, req, res, { conversationId, error: err.message, draft: text, mode, status: err.status });
      }
      throw err;
    }
    back(req, res, conversationId);
  });

  router.post('/conversations/:id/messages/:messageId/retry', async (req, res) => {
    const conversationId = routeId(req.params.id);
    const messageId = routeId(req.params.messageId);
    await retryMessage(db, messageId, conversationId);
    bus.emit('message', { conversationId, messageId, change: 'updated' });
    void outbox.kick();
    back(req, res, conversationId);
  });

  const body = (req: Request) => (req.body ?? {}) as Record<string, string | undefined>;

  router.post('/conversations/:id/status', async (req, res) => {
    const conversationId = routeId(req.params.id);
    await workflow.setStatus(conversationId, String(body(req).status ?? ''));
    back(req, res, conversationId);
  });

  router.post('/conversations/:id/assign', async (req, res) => {
    const conversationId = routeId(req.params.id);
    const value = body(req).assignee_id;
    await workflow.assign(conversationId, value === 'me' ? req.session!.user.id : value ? Number(value) : null);
    back(req, res, conversationId);
  });

  router.post('/conversations/:id/labels', async (req, res) => {
    const conversationId = routeId(req.params.id);
    await workflow.addLabel(conversationId, String(body(req).name ?? ''));
    back(req, res, conversationId);
  });

  router.post('/conversations/:id/labels/:labelId/remove', async (req, res) => {
    const conversationId = routeId(req.params.id);
    await workflow.removeLabel(conversationId, routeId(req.params.labelId));
    back(req, res, conversationId);
  });

  router.post('/conversations/:id/snooze', async (req, res) => {
    const conversationId = routeId(req.params.id);
    const b = body(req);
    const preset = b.until ? 'custom' : String(b.preset ?? '');
    await workflow.snooze(conversationId, snoozeUntil(preset, String(b.until ?? '')));
    res.redirect(303, `/?${filterQuery(parseFilter(req.query as Record<string, unknown>))}`);
  });

  router.post('/conversations/:id/unread', async (req, res) => {
    const conversationId = routeId(req.params.id);
    await workflow.markUnread(conversationId);
    // Leave it, or opening it again would read it at once.
    res.redirect(303, `/?${filterQuery(parseFilter(req.query as Record<string, unknown>))}`);
  });

  // The composer reports typing (throttled by the client): others see "… is replying".
  router.post('/conversations/:id/typing', (req, res) => {
    live.typing(req.session!.user.id, routeId(req.params.id));
    res.status(204).end();
  });

  return router;
}
