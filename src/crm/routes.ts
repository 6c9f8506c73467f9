// Contacts: everyone who has written to the Page, and a person's page (their details, which staff
// may correct, their conversations and labels, and the "No AI for this person" switch). The form
// re-renders itself with its mistakes and what was typed; a save goes back to the page (303), or,
// sent from the panel beside a conversation (htmx, HX-Target contact-panel), answers with the panel.
// The page shows the person's timeline (timeline.ts), a page at a time.
import { Router, type Request, type Response } from 'express';
import { requireUser } from '../auth/middleware';
import type { DetailProblem } from '../conversations/contact-details';
import { displayName } from '../conversations/names';
import { badRequest } from '../core/errors';
import { clip } from '../core/format';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { audit, auditActor } from '../privacy/audit';
import { getContact, listContacts, type ContactDetail } from './contacts';
import { formChange, saveContactDetails, type ContactDraft } from './details';
import { listFieldDefs } from './fields';
import { leadForm } from './lead-routes';
import { contactForm } from './panel';
import { change as timelineChange, contactTimeline, headline as timelineHeadline } from './timeline';

/** Whether a form was sent from the contact panel beside a conversation (its htmx target). */
const fromPanel = (req: Request) => Boolean(req.get('hx-request')) && req.get('hx-target') === 'contact-panel';

/** Problems keyed by the form's fields (a custom field's problem shows under the custom fields). */
function byField(problems: DetailProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) {
    const field = p.field.startsWith('fields') ? 'fields' : p.field;
    out[field] ??= p.message;
  }
  return out;
}

export function crmRouter(deps: Deps): Router {
  const { db, conversations } = deps;
  const router = Router();
  router.use('/contacts', requireUser);
  const contactOf = routeEntity(router, 'contact', (id) => getContact(db, id), 'That contact does not exist.');

  router.get('/contacts', async (req, res) => {
    const q = typeof req.query.q === 'string' ? clip(req.query.q, 200) : '';
    res.render('crm/contacts', { title: 'Contacts', nav: 'contacts', q, contacts: await listContacts(deps.db, { q }) });
  });

  async function renderContact(
    res: Response,
    contact: ContactDetail,
    extra: {
      draft?: ContactDraft;
      problems?: Record<string, string>;
      saved?: boolean;
      status?: number;
      timeline?: string;
      panel?: boolean;
    } = {},
  ) {
    // The form's rows (typed fields first) and the suggestions from their messages (panel.ts).
    const form = await contactForm(db, contact, await listFieldDefs(db), extra.draft);
    if (extra.panel) {
      res.status(extra.status ?? 200).render('crm/_contact-panel', {
        contact,
        ...form,
        problems: extra.problems ?? {},
        saved: extra.saved ?? false,
      });
      return;
    }
    res.status(extra.status ?? 200).render('crm/contact', {
      title: displayName({ name: contact.name, psid: contact.psid }),
      nav: 'contacts',
      contact,
      ...form,
      timeline: await contactTimeline(db, contact.id, { cursor: extra.timeline }),
      timelineHeadline,
      timelineChange,
      problems: extra.problems ?? {},
      saved: extra.saved ?? false,
      // The privacy panel: export, the deletion request, "Delete now" (views/privacy/_contact-privacy.ejs).
      privacy: await deps.deletions.forContact(contact.id),
      // The lead card (views/crm/_lead.ejs), saved through POST /contacts/:id/lead (lead-routes.ts).
      leadForm: await leadForm(db, contact),
    });
  }

  router.get('/contacts/:contact', async (req, res) => {
    const timeline = typeof req.query.timeline === 'string' ? req.query.timeline : undefined;
    await renderContact(res, contactOf(req), { saved: req.query.saved === '1', timeline });
  });

  // The next, older page of the timeline: its entries for htmx ("Older"), else the page from there.
  router.get('/contacts/:contact/timeline', async (req, res) => {
    const contact = contactOf(req);
    const before = typeof req.query.before === 'string' ? req.query.before : undefined;
    if (!req.get('hx-request')) {
      res.redirect(303, `/contacts/${contact.id}${before ? `?timeline=${encodeURIComponent(before)}` : ''}#timeline`);
      return;
    }
    res.render('crm/_timeline-entries', {
      contact,
      timeline: await contactTimeline(db, contact.id, { cursor: before }),
      timelineHeadline,
      timelineChange,
    });
  });

  router.post('/contacts/:contact', async (req: Request, res) => {
    const contact = contactOf(req);
    const panel = fromPanel(req);
    const { change, problems, draft } = formChange(req.body as Record<string, unknown>, contact, await listFieldDefs(db));
    if (problems.length > 0) {
      await renderContact(res, contact, {
        draft,
        problems: byField(problems),
        status: problems.some((p) => p.kind === 'type') ? 400 : 422,
        panel,
      });
      return;
    }
    await saveContactDetails(conversations, contact.id, change, auditActor(req));
    if (panel) {
      const saved = await getContact(db, contact.id);
      if (saved) return renderContact(res, saved, { saved: true, panel });
    }
    res.redirect(303, `/contacts/${contact.id}?saved=1`);
  });

  // "No AI for this person": the AI neither answers nor drafts for them (ai/assistant.ts).
  router.post('/contacts/:contact/no-ai', async (req, res) => {
    const contact = contactOf(req);
    const on = (req.body as Record<string, unknown>).on;
    if (on !== '1' && on !== '0') throw badRequest('invalid-no-ai', 'Say whether the AI may answer this person (on=1 or on=0).');
    await deps.assistant.setNoAi(contact.id, on === '1');
    await audit(db, {
      ...auditActor(req),
      action: 'contact.no_ai',
      target: `contact #${contact.id}`,
      detail: { on: on === '1' },
    });
    res.redirect(303, `/contacts/${contact.id}#ai`);
  });

  return router;
}
