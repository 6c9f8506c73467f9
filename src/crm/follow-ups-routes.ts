// Follow-ups in the browser: the "Due" page (GET /follow-ups: yours that came due, overdue ones
// first and marked, then what is coming), a contact's follow-ups with the form to add one (GET and
// POST /contacts/:contact/follow-ups; the contact page loads the partial), and finishing or
// cancelling one (POST /follow-ups/:followUp/done and /cancel). A form with mistakes re-renders
// itself with what was typed; a change goes back where it came from (303).
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { requireUser } from '../auth/middleware';
import { listActiveUsers } from '../auth/users';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { auditActor } from '../privacy/audit';
import { getContact, type ContactDetail } from './contacts';
import { MESSAGE_MAX, NOTE_MAX, readFollowUp, type FollowUpProblem } from './follow-up-input';
import { countDue, isOverdue, type FollowUp } from './follow-ups';

/** The navigation's "Due" badge on every page of a signed-in person (one indexed count). */
export function followUpsBadge(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    if (req.session && !req.path.startsWith('/api/')) res.locals.followUpsDue = await countDue(deps.db, req.session.user.id);
    next();
  };
}

export interface FollowUpDraft {
  due_at: string;
  note: string;
  message: string;
  owner_id: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function followUpsRouter(deps: Deps): Router {
  const { db, followUps } = deps;
  const router = Router();
  router.use('/follow-ups', requireUser);
  const contactOf = routeEntity(router, 'contact', (id) => getContact(db, id), 'That contact does not exist.');
  const followUpOf = routeEntity(router, 'followUp', (id) => followUps.get(id), 'That follow-up does not exist.');

  router.get('/follow-ups', async (req, res) => {
    const userId = req.session!.user.id;
    const everyone = req.query.who === 'all';
    const now = Date.now();
    const open = await followUps.list({ states: ['pending', 'due'], ownerId: everyone ? undefined : userId });
    const due = open.filter((f) => f.state === 'due' || f.dueAt <= now);
    res.render('crm/follow-ups', {
      title: 'Due',
      nav: 'follow-ups',
      everyone,
      due: due.map((f) => ({ ...f, overdue: isOverdue(f, now) })).sort((a, b) => Number(b.overdue) - Number(a.overdue)),
      upcoming: open.filter((f) => !due.includes(f)),
    });
  });

  /** A contact's follow-ups: the partial alone for htmx (the contact page loads it), else a page of its own. */
  async function renderForContact(
    req: Request,
    res: Response,
    contact: ContactDetail,
    extra: { draft?: FollowUpDraft; problems?: Record<string, string>; status?: number } = {},
  ) {
    const partial = req.get('hx-request') === 'true' && req.get('hx-boosted') !== 'true' && !extra.problems;
    const locals = {
      contact,
      followUps: await followUps.forContact(contact.id),
      users: await listActiveUsers(db),
      followUpDraft: extra.draft ?? { due_at: '', note: '', message: '', owner_id: String(req.session!.user.id) },
      problems: extra.problems ?? {},
      limits: { note: NOTE_MAX, message: MESSAGE_MAX },
      now: Date.now(),
    };
    res
      .status(extra.status ?? 200)
      .render(partial ? 'crm/_follow-ups' : 'crm/contact-follow-ups', { title: 'Follow-ups', nav: 'contacts', ...locals });
  }

  router.get('/contacts/:contact/follow-ups', requireUser, async (req, res) => {
    await renderForContact(req, res, contactOf(req));
  });

  router.post('/contacts/:contact/follow-ups', requireUser, async (req, res) => {
    const contact = contactOf(req);
    const body = req.body as Record<string, unknown>;
    const { change, problems } = readFollowUp(body, { creating: true });
    const draft = {
      due_at: text(body.due_at),
      note: text(body.note),
      message: text(body.message),
      owner_id: text(body.owner_id),
    };
    const fail = (list: Pick<FollowUpProblem, 'field' | 'message'>[], status: number) =>
      renderForContact(req, res, contact, { draft, problems: Object.fromEntries(list.map((p) => [p.field, p.message])), status });
    if (problems.length) return fail(problems, problems.some((p) => p.kind === 'type') ? 400 : 422);
    try {
      await followUps.create(contact.id, { ...change, dueAt: change.dueAt! }, auditActor(req));
    } catch (err) {
      const field = (err as { details?: { field?: FollowUpProblem['field'] } }).details?.field;
      if (field) return fail([{ field, message: (err as Error).message }], 422);
      throw err;
    }
    res.redirect(303, `/contacts/${contact.id}#follow-ups`);
  });

  /** Done or cancelled; back to the page the button was on. */
  const close = (how: 'done' | 'cancel') => async (req: Request, res: Response) => {
    const followUp: FollowUp = followUpOf(req);
    // A finished one is a 409 (follow-ups.ts).
    await (how === 'done' ? followUps.done(followUp, auditActor(req)) : followUps.cancel(followUp, auditActor(req)));
    const back = (req.body as Record<string, unknown>).back;
    res.redirect(303, back === 'contact' ? `/contacts/${followUp.contactId}#follow-ups` : '/follow-ups');
  };
  router.post('/follow-ups/:followUp/done', close('done'));
  router.post('/follow-ups/:followUp/cancel', close('cancel'));

  return router;
}
