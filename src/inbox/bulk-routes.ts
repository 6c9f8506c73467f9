// The list's bulk actions (one POST for the selection): resolve, assign, label, mark read. Each
// conversation goes through the workflow (conversations/bulk.ts); the list comes back saying how
// many changed and which could not be, and why.
import { Router } from 'express';
import { requireUser } from '../auth/middleware';
import { badRequest } from '../core/errors';
import { bulkChange, parseSelection, type BulkAction } from '../conversations/bulk';
import type { Deps } from '../deps';
import { filterQuery, parseFilter } from './list';
import { setNotice } from './notice';

const DONE: Record<BulkAction['kind'], string> = {
  resolve: 'Resolved',
  assign: 'Assigned',
  label: 'Labelled',
  read: 'Marked read',
};

function actionOf(body: Record<string, unknown>, me: number): BulkAction {
  switch (body.action) {
    case 'resolve':
      return { kind: 'resolve' };
    case 'read':
      return { kind: 'read' };
    case 'assign': {
      const value = body.assignee_id;
      if (value === 'me') return { kind: 'assign', assigneeId: me };
      if (value === '' || value === undefined) return { kind: 'assign', assigneeId: null };
      const id = Number(value);
      if (!Number.isSafeInteger(id) || id <= 0) throw badRequest('invalid-assignee', 'Assign to an active user.');
      return { kind: 'assign', assigneeId: id };
    }
    case 'label': {
      const labelId = Number(body.label_id);
      if (body.label_id) return { kind: 'label', label: { id: Number.isSafeInteger(labelId) ? labelId : 0 } };
      return { kind: 'label', label: String(body.name ?? '') };
    }
    default:
      throw badRequest('invalid-action', 'Choose resolve, assign, label or mark read.');
  }
}

export function bulkRouter(deps: Deps): Router {
  const router = Router();
  router.post('/conversations/bulk', requireUser, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const me = req.session!.user.id;
    const ids = parseSelection(body.ids);
    const action = actionOf(body, me);
    const result = await bulkChange(deps.db, deps.workflow, ids, action, me);
    const n = result.done.length;
    const text =
      result.failed.length === 0
        ? `${DONE[action.kind]} ${n} conversation${n === 1 ? '' : 's'}.`
        : `${DONE[action.kind]} ${n} of ${ids.length}; ${result.failed.length} could not be changed:`;
    setNotice(res, deps.config.secureCookies, {
      text,
      problems: result.failed.map((f) => `Conversation #${f.id}: ${f.reason}`),
    });
    res.redirect(303, `/?${filterQuery(parseFilter(req.query as Record<string, unknown>))}`);
  });
  return router;
}
