// The owner's audit log page: who did what and when (sign-ins, role changes, settings, exports,
// deletions, corrections of a person's details), filterable by kind, actor and dates, paged
// newest first. The Privacy page keeps a short recent list and links here.
import { Router } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import type { Deps } from '../deps';
import { AUDIT_KINDS, auditChoices, describeDetail, parseAuditFilter, searchAudit } from './audit-search';

export function auditRouter(deps: Deps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/privacy/audit', requireUser, requireOwner, async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const { filter, problems } = parseAuditFilter(query);
    const ok = Object.keys(problems).length === 0;
    const { rows, nextCursor } = ok ? await searchAudit(db, filter, { cursor: query.before }) : { rows: [], nextCursor: null };
    const filtered = Boolean(filter.what || filter.actor || filter.from || filter.to);
    const link = (extra: Record<string, string>) =>
      `/privacy/audit?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)), ...extra })}`;
    res.status(ok ? 200 : 400).render('privacy/audit', {
      title: 'Audit log',
      nav: 'privacy',
      filter,
      problems,
      auditPage: {
        kinds: Object.entries(AUDIT_KINDS).map(([name, k]) => ({ value: `kind:${name}`, label: k.label })),
        choices: await auditChoices(db),
        entries: rows.map((r) => ({ ...r, summary: describeDetail(r.detail) })),
        filtered,
        paged: typeof query.before === 'string' && query.before !== '',
        newest: link({}),
        older: nextCursor ? link({ before: nextCursor }) : undefined,
      },
    });
  });

  return router;
}
