// A conversation: opening it (marks it read here), the page's "seen" signal (tells Messenger, so the
// customer sees "Seen"), replying (text and files), private notes, retrying a failed send, and the
// workflow actions on it.
import { Router, type Request, type Response } from 'express';
import { requireUser } from '../auth/middleware';
import { uploads } from '../auth/uploads';
import { badRequest } from '../core/errors';
import { formAction, routeEntity, routeId } from '../core/http';
import type { Deps } from '../deps';
import { filterQuery, inboxRow, parseFilter } from './list';
import { renderInbox } from './page';

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
  const { db, outbox, workflow, live, readReceipts } = deps;
  const router = Router();
  router.use('/conversations', requireUser);
  const conversationOf = routeEntity(router, 'conversation', (id) => inboxRow(db, id), 'That conversation does not exist.');

  const listQuery = (req: Request) => filterQuery(parseFilter(req.query as Record<string, unknown>));
  const back = (req: Request, res: Response) => res.redirect(303, `/conversations/${conversationOf(req).id}?${listQuery(req)}`);
  const body = (req: Request) => (req.body ?? {}) as Record<string, string | undefined>;

  router.get('/conversations/:conversation', async (req, res) => {
    // Opening the conversation reads it, before the render, so the page shows it read. Nothing
    // leaves the building: Messenger hears of it only from the page's own POST (/seen, below).
    const conversation = conversationOf(req);
    await workflow.markRead(conversation.id);
    await renderInbox(deps, req, res, { conversation });
  });

  // The page is in front of a person (loaded and visible, or a new message arrived while it was).
  router.post('/conversations/:conversation/seen', async (req, res) => {
    await readReceipts.seen(conversationOf(req).id);
    res.status(204).end();
  });

  router.post('/conversations/:conversation/messages', uploads('files', 10), async (req, res) => {
    const conversation = conversationOf(req);
    const user = req.session!.user;
    const text = typeof req.body?.text === 'string' ? (req.body.text as string) : '';
    const mode = req.body?.mode === 'note' ? 'note' : 'reply';
    const files = ((req.files as Express.Multer.File[] | undefined) ?? []).map((f) => ({
      name: f.originalname,
      contentType: f.mimetype || 'application/octet-stream',
      data: f.buffer,
    }));
    await formAction(
      async () => {
        if (mode === 'note') {
          if (files.length) throw badRequest('note-files', 'Notes are text only; send files as a reply.');
          await workflow.addNote(conversation.id, user.id, text);
        } else {
          await outbox.queue({ conversationId: conversation.id, text, files, sentBy: 'user', userId: user.id, claim: true });
          // A person answered: an AI draft waiting in the composer has had its turn.
          await deps.assistant.dismissDraft(conversation.id);
        }
        back(req, res);
      },
      (err) => renderInbox(deps, req, res, { conversation, error: err.message, draft: text, mode, status: err.status }),
    );
  });

  router.post('/conversations/:conversation/messages/:messageId/retry', async (req, res) => {
    await outbox.retry(routeId(req.params.messageId), conversationOf(req).id);
    back(req, res);
  });

  router.post('/conversations/:conversation/status', async (req, res) => {
    await workflow.setStatus(conversationOf(req).id, String(body(req).status ?? ''), req.session!.user.id);
    back(req, res);
  });

  router.post('/conversations/:conversation/assign', async (req, res) => {
    const value = body(req).assignee_id;
    await workflow.assign(
      conversationOf(req).id,
      value === 'me' ? req.session!.user.id : value ? Number(value) : null,
      req.session!.user.id,
    );
    back(req, res);
  });

  router.post('/conversations/:conversation/labels', async (req, res) => {
    await workflow.addLabel(conversationOf(req).id, String(body(req).name ?? ''));
    back(req, res);
  });

  router.post('/conversations/:conversation/labels/:labelId/remove', async (req, res) => {
    await workflow.removeLabel(conversationOf(req).id, routeId(req.params.labelId));
    back(req, res);
  });

  router.post('/conversations/:conversation/snooze', async (req, res) => {
    const b = body(req);
    const preset = b.until ? 'custom' : String(b.preset ?? '');
    await workflow.snooze(conversationOf(req).id, snoozeUntil(preset, String(b.until ?? '')), req.session!.user.id);
    res.redirect(303, `/?${listQuery(req)}`);
  });

  router.post('/conversations/:conversation/unread', async (req, res) => {
    await workflow.markUnread(conversationOf(req).id);
    // Leave it, or opening it again would read it at once.
    res.redirect(303, `/?${listQuery(req)}`);
  });

  // The composer reports typing (throttled by the client): others see "… is replying".
  router.post('/conversations/:conversation/typing', (req, res) => {
    live.typing(req.session!.user.id, conversationOf(req).id);
    res.status(204).end();
  });

  return router;
}
