// The inbox: the conversation list staff live in.
import { Router } from 'express';
import { requireUser } from '../auth/middleware';
import { countUsers } from '../auth/users';
import type { Deps } from '../deps';
import { listConversations, STATUSES, type ConversationStatus } from './conversations';

export function inboxRouter(deps: Deps): Router {
  const { db, config } = deps;
  const router = Router();

  // A brand-new install sends its first visitor to create the owner.
  router.get('/', async (req, res, next) => {
    if (!req.session && (await countUsers(db)) === 0) return res.redirect(303, '/setup');
    next();
  });

  router.get('/', requireUser, async (req, res) => {
    const status = STATUSES.includes(req.query.status as ConversationStatus) ? (req.query.status as ConversationStatus) : 'open';
    const { rows, nextCursor } = await listConversations(db, {
      status,
      cursor: typeof req.query.cursor === 'string' ? req.query.cursor : undefined,
    });
    res.render('inbox/index', {
      title: 'Inbox',
      nav: 'inbox',
      status,
      statuses: STATUSES,
      conversations: rows,
      nextCursor,
      sandbox: !config.fb.pageAccessToken,
    });
  });

  return router;
}
