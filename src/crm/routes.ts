// Contacts: everyone who has written to the Page.
import { Router } from 'express';
import { requireUser } from '../auth/middleware';
import { clip } from '../core/format';
import type { Deps } from '../deps';
import { listContacts } from './contacts';

export function crmRouter(deps: Deps): Router {
  const router = Router();
  router.get('/contacts', requireUser, async (req, res) => {
    const q = typeof req.query.q === 'string' ? clip(req.query.q, 200) : '';
    res.render('crm/contacts', { title: 'Contacts', nav: 'contacts', q, contacts: await listContacts(deps.db, { q }) });
  });
  return router;
}
