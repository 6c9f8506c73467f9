// The inbox pages and their live stream.
import { Router } from 'express';
import { requireUser } from '../auth/middleware';
import { countUsers } from '../auth/users';
import type { Deps } from '../deps';
import { parseFilter } from './list';
import { renderInbox } from './page';

export function inboxRouter(deps: Deps): Router {
  const { db, live } = deps;
  const router = Router();

  // A brand-new install sends its first visitor to create the owner.
  router.get('/', async (req, res, next) => {
    if (!req.session && (await countUsers(db)) === 0) return res.redirect(303, '/setup');
    next();
  });

  router.get('/', requireUser, (req, res) => renderInbox(deps, req, res));

  // One Server-Sent Events stream per tab: the list (with this tab's filter) and the open conversation.
  router.get('/events', requireUser, async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const conversationId = Number(q.conversation);
    const user = req.session!.user;
    await live.connect({
      res,
      sessionId: req.session!.id,
      userId: user.id,
      userName: user.name || user.email,
      csrfToken: req.csrfToken!,
      filter: parseFilter(q),
      conversationId: Number.isSafeInteger(conversationId) && conversationId > 0 ? conversationId : undefined,
      // The browser's own reconnect sends the last id it saw; a fresh page passes where its data ends.
      since: req.get('last-event-id') || q.since,
    });
  });

  return router;
}
