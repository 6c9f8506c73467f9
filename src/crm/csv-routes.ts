// Contacts CSV (owner only): GET /contacts.csv exports everyone; /contacts/import takes a CSV file,
// shows a preview with each row's outcome and errors, and "Import" applies the valid rows in one
// transaction (csv.ts). The uploaded rows wait for that click in memory, for this owner only, for
// half an hour: nothing is written until then.
import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { uploads } from '../auth/uploads';
import { AppError } from '../core/errors';
import type { Deps } from '../deps';
import { audit, auditActor } from '../privacy/audit';
import { applyImport, contactsCsv, CsvError, IMPORT_LIMITS, parseCsv, planImport, type ImportPlan } from './csv';
import { listFieldDefs } from './fields';

const PREVIEW_MS = 30 * 60 * 1000;
const MAX_PREVIEWS = 20;

interface Pending {
  userId: number;
  fileName: string;
  table: string[][];
  refused: number[];
  at: number;
}

export function contactsCsvRouter(deps: Deps): Router {
  const { db, conversations } = deps;
  const router = Router();
  const pending = new Map<string, Pending>();
  const owner = [requireUser, requireOwner];

  function keep(entry: Pending): string {
    const now = Date.now();
    for (const [key, p] of pending) if (now - p.at > PREVIEW_MS) pending.delete(key);
    while (pending.size >= MAX_PREVIEWS) pending.delete(pending.keys().next().value!);
    const key = crypto.randomBytes(18).toString('base64url');
    pending.set(key, entry);
    return key;
  }

  function renderImport(
    res: Response,
    view: { error?: string; plan?: ImportPlan; key?: string; fileName?: string; done?: number },
    status = 200,
  ) {
    res.status(status).render('crm/import', { title: 'Import contacts', nav: 'contacts', limits: IMPORT_LIMITS, ...view });
  }

  router.get('/contacts.csv', ...owner, async (req, res) => {
    await audit(db, { ...auditActor(req), action: 'contacts.exported', target: 'contacts', detail: { format: 'csv' } });
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="contacts-${new Date().toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    });
    for await (const chunk of contactsCsv(db, await listFieldDefs(db))) res.write(chunk);
    res.end();
  });

  router.get('/contacts/import', ...owner, (req, res) => {
    const done = typeof req.query.done === 'string' && /^\d{1,6}$/.test(req.query.done) ? Number(req.query.done) : undefined;
    renderImport(res, { done });
  });

  router.post('/contacts/import', ...owner, uploads('file', 1), async (req: Request, res) => {
    const file = (req.files as Express.Multer.File[] | undefined)?.[0];
    if (!file || file.size === 0) return renderImport(res, { error: 'Choose a CSV file to import.' }, 400);
    if (file.size > IMPORT_LIMITS.bytes)
      return renderImport(res, { error: 'The file is larger than 1 MB: split it and import the parts one after another.' }, 413);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(file.buffer);
    if (text.includes('\u0000') || text.includes('\uFFFD'))
      return renderImport(res, { error: 'This is not a UTF-8 text file. Save it from your spreadsheet as "CSV UTF-8".' }, 400);
    let table: string[][];
    try {
      table = parseCsv(text);
    } catch (err) {
      if (err instanceof CsvError) return renderImport(res, { error: err.message }, 400);
      throw err;
    }
    const plan = await planImport(db, table, await listFieldDefs(db));
    const fileName = file.originalname.slice(0, 120);
    if (plan.fileErrors.length > 0) return renderImport(res, { plan, fileName }, 422);
    const refused = plan.rows.filter((r) => r.outcome === 'error').map((r) => r.line);
    const key = keep({ userId: req.session!.user.id, fileName, table, refused, at: Date.now() });
    renderImport(res, { plan, key, fileName });
  });

  router.post('/contacts/import/apply', ...owner, async (req, res) => {
    const key = (req.body as Record<string, unknown>).import;
    const entry = typeof key === 'string' ? pending.get(key) : undefined;
    if (!entry || entry.userId !== req.session!.user.id || Date.now() - entry.at > PREVIEW_MS)
      throw new AppError(410, 'import-expired', 'This preview has expired or was already imported. Upload the file again.');
    pending.delete(key as string);
    const result = await applyImport(conversations, entry.table, await listFieldDefs(db), entry.refused, auditActor(req));
    if ('plan' in result) {
      // Someone changed a contact since the preview: show it as it is now, to import again.
      const refused = result.plan.rows.filter((r) => r.outcome === 'error').map((r) => r.line);
      const again = keep({ ...entry, refused, at: Date.now() });
      return renderImport(
        res,
        {
          plan: result.plan,
          key: again,
          fileName: entry.fileName,
          error: 'Contacts changed since the preview: nothing was imported. Check the rows again.',
        },
        409,
      );
    }
    res.redirect(303, `/contacts/import?done=${result.applied}`);
  });

  return router;
}
