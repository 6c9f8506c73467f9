// Settings → Contact fields (owner only): the owner's typed custom fields for contacts (fields.ts).
// Each form re-renders the page with its mistakes; a save goes back to the list (303).
import { Router, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { AppError } from '../core/errors';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { auditActor } from '../privacy/audit';
import {
  checkFieldDef,
  createFieldDef,
  deleteFieldDef,
  FIELD_TYPES,
  getFieldDef,
  listFieldDefs,
  updateFieldDef,
  type FieldDraft,
} from './fields';

interface FormState {
  /** The definition whose form failed (undefined: the add form). */
  editId?: number;
  draft?: FieldDraft;
  problems?: Record<string, string>;
  saved?: string;
}

export function fieldsRouter(deps: Deps): Router {
  const { db } = deps;
  const router = Router();
  router.use('/settings/contact-fields', requireUser, requireOwner);
  const fieldOf = routeEntity(router, 'field', (id) => getFieldDef(db, id), 'That contact field does not exist.');

  async function render(res: Response, state: FormState = {}, status = 200) {
    res.status(status).render('crm/fields', {
      title: 'Contact fields',
      nav: 'settings',
      defs: await listFieldDefs(db),
      types: FIELD_TYPES,
      state,
    });
  }

  /** Runs a save; a form mistake (or a name taken) shows the page again with what was typed. */
  async function save(
    res: Response,
    body: Record<string, unknown>,
    editId: number | undefined,
    write: (def: NonNullable<ReturnType<typeof checkFieldDef>['def']>) => Promise<unknown>,
  ) {
    const { def, draft, problems } = checkFieldDef(body);
    if (!def) return render(res, { editId, draft, problems }, 422);
    try {
      await write(def);
    } catch (err) {
      if (err instanceof AppError && err.status < 500)
        return render(
          res,
          { editId, draft, problems: { [err.code === 'field-name-taken' ? 'name' : 'form']: err.message } },
          err.status,
        );
      throw err;
    }
    res.redirect(303, '/settings/contact-fields?saved=1');
  }

  router.get('/settings/contact-fields', async (req, res) => {
    await render(res, { saved: req.query.saved === '1' ? 'Saved.' : undefined });
  });

  router.post('/settings/contact-fields', (req, res) =>
    save(res, req.body as Record<string, unknown>, undefined, (def) => createFieldDef(db, def, auditActor(req))),
  );

  router.post('/settings/contact-fields/:field', (req, res) => {
    const field = fieldOf(req);
    return save(res, req.body as Record<string, unknown>, field.id, (def) => updateFieldDef(db, field.id, def, auditActor(req)));
  });

  router.post('/settings/contact-fields/:field/delete', async (req, res) => {
    await deleteFieldDef(db, fieldOf(req).id, auditActor(req));
    res.redirect(303, '/settings/contact-fields?saved=1');
  });

  return router;
}
