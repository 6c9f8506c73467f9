// The list's bulk actions: resolve, assign, label or mark read a selection of conversations in one
// request. Each conversation goes through the workflow on its own (its rules, its activity line, its
// live update); one that cannot be changed (erased meanwhile, say) is reported without stopping the rest.
import type { Queryable } from '../core/db';
import { AppError, badRequest } from '../core/errors';
import { cleanLabelName, labelById } from './labels';
import type { Workflow } from './workflow';

export type BulkAction =
  | { kind: 'resolve' }
  | { kind: 'read' }
  | { kind: 'assign'; assigneeId: number | null }
  | { kind: 'label'; label: string | { id: number } };

export interface BulkResult {
  done: number[];
  failed: { id: number; reason: string }[];
}

/** More would be a job, not a click: the list shows 50 rows a page. */
export const BULK_LIMIT = 200;

/** The selection as posted: ids of conversations, at least one. */
export function parseSelection(raw: unknown): number[] {
  const values = (Array.isArray(raw) ? raw : raw === undefined || raw === '' ? [] : [raw]).map(String);
  if (values.length === 0) throw badRequest('empty-selection', 'Select at least one conversation first.');
  if (values.length > BULK_LIMIT) throw badRequest('selection-too-large', `Select at most ${BULK_LIMIT} conversations at once.`);
  const ids = values.map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0))
    throw badRequest('invalid-selection', 'The selection is not valid.');
  return [...new Set(ids)];
}

export async function bulkChange(
  db: Queryable,
  workflow: Workflow,
  ids: number[],
  action: BulkAction,
  actorUserId: number,
): Promise<BulkResult> {
  // Checked once, before anything changes: a bad label or assignee is the request's mistake.
  if (action.kind === 'label') {
    if (typeof action.label === 'string') cleanLabelName(action.label);
    else if (!(await labelById(db, action.label.id))) throw badRequest('unknown-label', 'That label does not exist (any more).');
  }
  if (action.kind === 'assign' && action.assigneeId !== null) {
    if (!(await db.get("SELECT id FROM users WHERE id = ? AND status = 'active'", [action.assigneeId])))
      throw badRequest('invalid-assignee', 'Assign to an active user.');
  }
  const present = new Set(
    (await db.all<{ id: number }>(`SELECT id FROM conversations WHERE id IN (${ids.map(() => '?').join(',')})`, ids)).map(
      (r) => r.id,
    ),
  );
  const result: BulkResult = { done: [], failed: [] };
  for (const id of ids) {
    if (!present.has(id)) {
      result.failed.push({ id, reason: 'it no longer exists (erased or deleted)' });
      continue;
    }
    try {
      if (action.kind === 'resolve') await workflow.setStatus(id, 'resolved', actorUserId);
      else if (action.kind === 'read') await workflow.markRead(id);
      else if (action.kind === 'assign') await workflow.assign(id, action.assigneeId, actorUserId);
      else await workflow.addLabel(id, action.label, actorUserId);
      result.done.push(id);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      result.failed.push({ id, reason: err.message });
    }
  }
  return result;
}
