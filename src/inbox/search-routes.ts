// Inbox search: `GET /search?q=` as a full page, or (for the live search box, an htmx request that
// is not a boosted navigation) only the results list.
import { Router, type Request } from 'express';
import { requireUser } from '../auth/middleware';
import { clip } from '../core/format';
import type { Deps } from '../deps';
import { MATCH_WINDOW, searchContacts, searchMessagePage } from './search';

const PAGE_SIZE = 20;

/** The results partial alone: a live-search request. A history restore needs the whole page. */
function wantsPartial(req: Request): boolean {
  return Boolean(req.get('hx-request')) && !req.get('hx-boosted') && !req.get('hx-history-restore-request');
}

export function searchRouter(deps: Deps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/search', requireUser, async (req, res) => {
    const q = typeof req.query.q === 'string' ? clip(req.query.q, 200) : '';
    const requested = Number(req.query.page);
    const page = Number.isSafeInteger(requested) && requested > 1 ? Math.min(requested, MATCH_WINDOW / PAGE_SIZE) : 1;
    const found = await searchMessagePage(db, q, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const contacts = page === 1 ? await searchContacts(db, q, { limit: 5 }) : [];
    res.vary('HX-Request').vary('HX-Boosted');
    res.render(wantsPartial(req) ? 'inbox/_search-results' : 'inbox/search', {
      title: q ? `Search: ${q}` : 'Search',
      nav: 'inbox',
      q,
      page,
      hits: found.hits,
      more: found.more,
      windowFull: found.windowFull,
      matchWindow: MATCH_WINDOW,
      contacts,
    });
  });

  return router;
}
