// Canned responses: the composer's "/" menu searches them (any signed-in user, JSON), and the owner
// manages them in Settings → Canned responses (/settings/canned; plain forms; errors re-render it).
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { formAction, routeId } from '../core/http';
import type { Deps } from '../deps';
import { renderSettings } from '../settings/routes';
import { getBusinessProfile } from '../settings/store';
import { createCanned, deleteCanned, searchCanned, updateCanned } from './canned';

export function cannedRouter(deps: Deps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/canned', requireUser, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    res.json({ data: await searchCanned(db, q) });
  });

  const field = (req: Request, name: string) => {
    const value = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };

  /** Runs a change; a refusal the owner can fix shows the settings page again with the input kept. */
  async function change(
    req: Request,
    res: Response,
    editId: number | undefined,
    work: () => Promise<unknown>,
    done: 'saved' | 'deleted',
  ) {
    await formAction(
      async () => {
        await work();
        res.redirect(303, `/settings/canned?canned=${done}`);
      },
      async (err) => {
        const draft = { shortcut: field(req, 'shortcut'), text: field(req, 'text') };
        await renderSettings(deps, res, await getBusinessProfile(db), {}, false, {
          status: err.status,
          canned: { error: err.message, editId, draft },
        });
      },
    );
  }

  router.post('/settings/canned', requireUser, requireOwner, (req, res) =>
    change(req, res, undefined, () => createCanned(db, req.body ?? {}), 'saved'),
  );

  router.post('/settings/canned/:id', requireUser, requireOwner, (req, res) => {
    const cannedId = routeId(req.params.id);
    return change(req, res, cannedId, () => updateCanned(db, cannedId, req.body ?? {}), 'saved');
  });

  router.post('/settings/canned/:id/delete', requireUser, requireOwner, (req, res) => {
    const cannedId = routeId(req.params.id);
    return change(req, res, cannedId, () => deleteCanned(db, cannedId), 'deleted');
  });

  return router;
}
