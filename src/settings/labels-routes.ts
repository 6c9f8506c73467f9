// Settings → Labels (owner only): every label with how many conversations carry it, its colour, its
// name, and deleting it. Staff create labels by typing a new one in a conversation; here the owner
// tidies them. Changes go through the workflow (the labels' one writer), show live on every
// conversation carrying the label, and are written to the audit log.
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { AppError } from '../core/errors';
import { routeEntity } from '../core/http';
import { LABEL_COLORS, labelById, listLabelUses } from '../conversations/labels';
import type { Deps } from '../deps';
import { audit, auditActor } from '../privacy/audit';

interface LabelsPage {
  saved?: string;
  error?: { labelId: number; message: string };
  status?: number;
}

export function labelsSettingsRouter(deps: Deps): Router {
  const { db, workflow } = deps;
  const router = Router();
  router.use('/settings/labels', requireUser, requireOwner);
  const labelOf = routeEntity(router, 'label', (id) => labelById(db, id), 'That label does not exist.');

  const render = async (res: Response, page: LabelsPage = {}) =>
    res.status(page.status ?? 200).render('settings/labels', {
      title: 'Labels · Settings',
      nav: 'settings',
      section: 'labels',
      labels: await listLabelUses(db),
      colors: LABEL_COLORS,
      saved: page.saved,
      error: page.error,
    });

  router.get('/settings/labels', (_req, res) => render(res, { saved: savedText(_req) }));

  router.post('/settings/labels/:label', async (req: Request, res: Response) => {
    const label = labelOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const updated = await workflow.updateLabel(label.id, { name: body.name, color: body.color });
      await audit(db, {
        ...auditActor(req),
        action: 'label.updated',
        target: `label #${label.id}`,
        detail: { from: { name: label.name, color: label.color }, to: { name: updated.name, color: updated.color } },
      });
      res.redirect(303, `/settings/labels?saved=${encodeURIComponent(updated.name)}#label-${label.id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      await render(res, { error: { labelId: label.id, message: err.message }, status: 400 });
    }
  });

  router.post('/settings/labels/:label/delete', async (req, res) => {
    const { label, uses } = await workflow.deleteLabel(labelOf(req).id);
    await audit(db, {
      ...auditActor(req),
      action: 'label.deleted',
      target: `label #${label.id}`,
      detail: { name: label.name, uses },
    });
    res.redirect(303, `/settings/labels?deleted=${encodeURIComponent(label.name)}`);
  });

  return router;
}

function savedText(req: Request): string | undefined {
  const q = req.query as Record<string, unknown>;
  if (typeof q.saved === 'string' && q.saved) return `Saved “${q.saved.slice(0, 40)}”.`;
  if (typeof q.deleted === 'string' && q.deleted) return `Deleted “${q.deleted.slice(0, 40)}” and took it off its conversations.`;
  return undefined;
}
