// A conversation: opening it (marks it read here), the page's "seen" signal (tells Messenger, so the
// customer sees "Seen"), replying (text and files), private notes, retrying a failed send, and the
// workflow actions on it, each saying what it did on the page it leads to (notice.ts), with Undo for
// resolve and snooze (restore). Bulk actions on the list's selection are in bulk-routes.ts.
import { Router, type Request, type Response } from 'express';
import { requireUser } from '../auth/middleware';
import { uploads } from '../auth/uploads';
import { badRequest } from '../core/errors';
import { formAction, routeEntity, routeId } from '../core/http';
import type { Deps } from '../deps';
import { filterQuery, inboxRow, matchesFilter, parseFilter, type InboxRow } from './list';
import { setNotice, type Notice } from './notice';
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
  const notice = (res: Response, n: Notice) => setNotice(res, deps.config.secureCookies, n);
  /** How to put a conversation back the way it was before an action (Undo). */
  const undoOf = (c: InboxRow): Notice['undo'] => ({
    conversationId: c.id,
    status: c.status,
    until: c.status === 'snoozed' ? c.snoozed_until : null,
  });
  const STATUS_DONE: Record<string, string> = { resolved: 'Resolved', open: 'Reopened', pending: 'Marked pending' };

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
    const conversation = conversationOf(req);
    const status = String(body(req).status ?? '');
    await workflow.setStatus(conversation.id, status, req.session!.user.id);
    if (status !== conversation.status)
      notice(res, { text: STATUS_DONE[status] ?? status, ...(status === 'resolved' ? { undo: undoOf(conversation) } : {}) });
    back(req, res);
  });

  // Undo (the notice's button): the status the conversation had, through the same workflow. A snooze
  // whose time has passed meanwhile comes back open.
  router.post('/conversations/:conversation/restore', async (req, res) => {
    const b = body(req);
    const status = String(b.status ?? '');
    const until = Number(b.until);
    const conversation = conversationOf(req);
    if (status === 'snoozed' && Number.isFinite(until) && until > Date.now())
      await workflow.snooze(conversation.id, until, req.session!.user.id);
    else await workflow.setStatus(conversation.id, status === 'snoozed' ? 'open' : status, req.session!.user.id);
    notice(res, { text: 'Undone' });
    back(req, res);
  });

  router.post('/conversations/:conversation/assign', async (req, res) => {
    const value = body(req).assignee_id;
    const me = req.session!.user.id;
    const assignee = value === 'me' ? me : value ? Number(value) : null;
    if (assignee !== null && !Number.isSafeInteger(assignee)) throw badRequest('invalid-assignee', 'Assign to an active user.');
    await workflow.assign(conversationOf(req).id, assignee, me);
    back(req, res);
  });

  // A label picked from the suggestions comes by id (it must still exist); a typed one by name (created if new).
  router.post('/conversations/:conversation/labels', async (req, res) => {
    const b = body(req);
    const labelId = Number(b.label_id);
    const label = b.label_id ? { id: Number.isSafeInteger(labelId) && labelId > 0 ? labelId : 0 } : String(b.name ?? '');
    await workflow.addLabel(conversationOf(req).id, label, req.session!.user.id);
    back(req, res);
  });

  router.post('/conversations/:conversation/labels/:labelId/remove', async (req, res) => {
    await workflow.removeLabel(conversationOf(req).id, routeId(req.params.labelId), req.session!.user.id);
    back(req, res);
  });

  router.post('/conversations/:conversation/snooze', async (req, res) => {
    const b = body(req);
    const conversation = conversationOf(req);
    const preset = b.until ? 'custom' : String(b.preset ?? '');
    const until = snoozeUntil(preset, String(b.until ?? ''));
    await workflow.snooze(conversation.id, until, req.session!.user.id);
    notice(res, { text: 'Snoozed until', until, undo: undoOf(conversation) });
    res.redirect(303, `/?${listQuery(req)}`);
  });

  router.post('/conversations/:conversation/unread', async (req, res) => {
    const conversation = conversationOf(req);
    await workflow.markUnread(conversation.id);
    // Back to the list (opening it again would read it at once), one that shows it, kept in view.
    let filter = parseFilter(req.query as Record<string, unknown>);
    const row = await inboxRow(db, conversation.id);
    if (row && !matchesFilter(row, filter, req.session!.user.id))
      filter = { status: 'all', who: 'all', unread: false, sort: filter.sort };
    notice(res, { text: 'Marked unread', focus: conversation.id });
    res.redirect(303, `/?${filterQuery(filter)}`);
  });

  // The composer reports typing (throttled by the client): others see "… is replying".
  router.post('/conversations/:conversation/typing', (req, res) => {
    live.typing(req.session!.user.id, conversationOf(req).id);
    res.status(204).end();
  });

  return router;
}
