// The pipeline's pages: the board (GET /leads, a column per stage; a card moves by its select or by
// drag and drop, public/js/leads-board.js, both posting POST /leads/:lead/stage), the sortable table
// (?view=table), both filtered by owner, stage, source and label; their CSV (GET /leads.csv); the
// lead card on a contact's page (POST /contacts/:contact/lead); and the owner's stage editor
// (/leads/stages). Changes go through deps.leads (src/crm/leads.ts).
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import type { Queryable } from '../core/db';
import { AppError } from '../core/errors';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { auditActor } from '../privacy/audit';
import { csv, isoTime, type CsvColumn } from '../privacy/export-format';
import type { ContactDetail } from './contacts';
import { amount } from './lead-input';
import { board, filterChoices, leadPages, leadTable, parseFilter, SORTS, type LeadCard, type LeadSort } from './lead-queries';
import { leadById, listStages, STAGE_KINDS } from './leads';

const FILTERS = ['owner', 'stage', 'source', 'label'] as const;

/** The filters as given (for the form and for links that keep them). */
function filterValues(source: Record<string, unknown>): Record<(typeof FILTERS)[number], string> {
  const out = { owner: '', stage: '', source: '', label: '' };
  for (const name of FILTERS) {
    const v = source[name];
    if (typeof v === 'string') out[name] = v.slice(0, 200);
  }
  return out;
}

const queryOf = (values: Record<string, string>) =>
  new URLSearchParams(Object.entries(values).filter(([, v]) => v !== '')).toString();

/** A fragment for htmx (not a boosted navigation): the board alone. */
const isFragment = (req: Request) => Boolean(req.get('hx-request')) && !req.get('hx-boosted');

export const LEAD_CSV: CsvColumn<LeadCard & { stage: string }>[] = [
  { name: 'id', value: (r) => r.id },
  { name: 'contact_id', value: (r) => r.contact_id },
  { name: 'name', value: (r) => r.name },
  { name: 'psid', value: (r) => r.psid },
  { name: 'stage', value: (r) => r.stage },
  { name: 'value', value: (r) => amount(r.value_cents) },
  { name: 'expected_close', value: (r) => r.expected_close },
  { name: 'owner', value: (r) => r.owner_name },
  { name: 'source', value: (r) => r.source },
  { name: 'lost_reason', value: (r) => r.lost_reason },
  { name: 'created_at', value: (r) => isoTime(r.created_at) },
  { name: 'updated_at', value: (r) => isoTime(r.updated_at) },
  { name: 'closed_at', value: (r) => isoTime(r.closed_at) },
];

/** What the lead card on a contact's page shows (views/crm/_lead.ejs). */
export async function leadForm(
  db: Queryable,
  contact: Pick<ContactDetail, 'id' | 'lead'>,
  extra: { problems?: Record<string, string>; draft?: Record<string, string>; saved?: boolean } = {},
) {
  const [stages, choices] = await Promise.all([listStages(db), filterChoices(db)]);
  const lead = contact.lead;
  const stageId = stages.find((s) => s.name === lead.stage)?.id;
  return {
    contactId: contact.id,
    isLead: lead.stage !== null,
    source: lead.source,
    stages,
    owners: choices.owners,
    draft: extra.draft ?? {
      stage_id: stageId === undefined ? '' : String(stageId),
      value: amount(lead.valueCents),
      expected_close: lead.expectedClose ?? '',
      owner_id: lead.ownerId === null ? '' : String(lead.ownerId),
      lost_reason: lead.lostReason ?? '',
    },
    problems: extra.problems ?? {},
    saved: extra.saved ?? false,
  };
}

export function leadsRouter(deps: Deps): Router {
  const { db, leads } = deps;
  const router = Router();
  router.use(['/leads', '/leads.csv', '/contacts'], requireUser);
  router.use('/leads/stages', requireOwner);
  const leadOf = routeEntity(router, 'lead', (id) => leadById(db, id), 'That lead does not exist.');
  const contactOf = routeEntity(
    router,
    'contact',
    async (id) => (await db.get<{ id: number }>('SELECT id FROM contacts WHERE id = ?', [id])) ?? undefined,
    'That contact does not exist.',
  );
  const stageOf = routeEntity(
    router,
    'stage',
    async (id) => (await listStages(db)).find((s) => s.id === id),
    'That stage does not exist.',
  );

  async function pipeline(req: Request, source: Record<string, unknown>) {
    const stages = await listStages(db);
    const values = filterValues(source);
    const filter = parseFilter(values, stages);
    const view = source.view === 'table' ? 'table' : 'board';
    const sort: LeadSort = typeof source.sort === 'string' && source.sort in SORTS ? (source.sort as LeadSort) : 'updated';
    const dir = source.dir === 'asc' || source.dir === 'desc' ? source.dir : sort === 'updated' ? 'desc' : 'asc';
    const page =
      typeof source.page === 'string' && /^\d{1,6}$/.test(source.page) && Number(source.page) > 0 ? Number(source.page) : 1;
    const [choices, columns, table] = await Promise.all([
      filterChoices(db),
      view === 'board' ? board(db, filter) : undefined,
      view === 'table' ? leadTable(db, filter, sort, dir, page) : undefined,
    ]);
    return {
      view,
      filters: values,
      filterQuery: queryOf(values),
      filtered: Object.values(values).some((v) => v !== ''),
      stages,
      choices,
      columns,
      table: table && { ...table, sort, dir, page, pages: Math.max(1, Math.ceil(table.total / 200)) },
      isOwner: req.session?.user.role === 'owner',
      amount,
    };
  }

  router.get('/leads', async (req, res) => {
    res.render('crm/leads', { title: 'Leads', nav: 'leads', pipeline: await pipeline(req, req.query) });
  });

  router.get('/leads.csv', async (req, res) => {
    const stages = await listStages(db);
    const filter = parseFilter(filterValues(req.query), stages);
    const names = new Map(stages.map((s) => [s.id, s.name]));
    res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="leads.csv"' });
    async function* rows() {
      for await (const page of leadPages(db, filter)) yield page.map((r) => ({ ...r, stage: names.get(r.stage_id) ?? '' }));
    }
    for await (const chunk of csv(LEAD_CSV, rows())) res.write(chunk);
    res.end();
  });

  router.post('/leads/:lead/stage', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await leads.moveStage(leadOf(req).id, body.stage_id, auditActor(req));
    if (isFragment(req)) {
      res.render('crm/_leads-board', { pipeline: await pipeline(req, body) });
      return;
    }
    const query = queryOf(filterValues(body));
    res.redirect(303, `/leads${query ? `?${query}` : ''}`);
  });

  router.post('/contacts/:contact/lead', async (req, res) => {
    const { id } = contactOf(req);
    const body = req.body as Record<string, unknown>;
    const input = {
      stage_id: body.stage_id,
      value: body.value,
      expected_close: body.expected_close,
      owner_id: body.owner_id,
      lost_reason: body.lost_reason,
    };
    try {
      await leads.change(id, input, auditActor(req));
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 400 && err.status !== 422)) throw err;
      await renderLeadForm(req, res, id, err);
      return;
    }
    if (isFragment(req)) {
      res.render('crm/_lead', { leadForm: await leadForm(db, await contactLead(id), { saved: true }) });
      return;
    }
    res.redirect(303, `/contacts/${id}#lead`);
  });

  /** The lead card again with its mistakes and what was typed: alone for htmx, else on a page of its own. */
  async function renderLeadForm(req: Request, res: Response, contactId: number, err: AppError) {
    const body = req.body as Record<string, unknown>;
    const problems: Record<string, string> = {};
    const listed = (err.details?.problems as { field: string; message: string }[] | undefined) ?? [];
    for (const p of listed) problems[p.field === 'stage' ? 'stage_id' : p.field] ??= p.message;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const draft = Object.fromEntries(
      ['stage_id', 'value', 'expected_close', 'owner_id', 'lost_reason'].map((k) => [k, text(body[k])]),
    );
    const model = await leadForm(db, await contactLead(contactId), { problems, draft });
    res.status(err.status);
    if (isFragment(req)) res.render('crm/_lead', { leadForm: model });
    else res.render('crm/lead-form', { title: 'Lead', nav: 'leads', leadForm: model });
  }

  async function contactLead(contactId: number): Promise<Pick<ContactDetail, 'id' | 'lead'>> {
    const [lead, contact] = await Promise.all([
      leads.forContact(contactId),
      db.get<{ lead_source: string | null }>('SELECT lead_source FROM contacts WHERE id = ?', [contactId]),
    ]);
    return {
      id: contactId,
      lead: {
        stage: lead?.stage.name ?? null,
        source: contact?.lead_source ?? null,
        valueCents: lead?.valueCents ?? null,
        expectedClose: lead?.expectedClose ?? null,
        ownerId: lead?.ownerId ?? null,
        lostReason: lead?.lostReason ?? null,
      },
    };
  }

  // The owner's stage editor: every change goes back to it (303); a refusal is shown on it.
  async function renderStages(res: Response, extra: { problem?: string; status?: number; saved?: string } = {}) {
    const stages = await listStages(db);
    const counts = await db.all<{ stage_id: number; n: number }>('SELECT stage_id, count(*) AS n FROM leads GROUP BY stage_id');
    res.status(extra.status ?? 200).render('crm/lead-stages', {
      title: 'Lead stages',
      nav: 'leads',
      pipeline: {
        stages: stages.map((s) => ({ ...s, leads: counts.find((c) => c.stage_id === s.id)?.n ?? 0 })),
        kinds: STAGE_KINDS,
        problem: extra.problem ?? '',
        saved: extra.saved ?? '',
      },
    });
  }

  async function stageAction(res: Response, action: () => Promise<unknown>) {
    try {
      await action();
    } catch (err) {
      if (err instanceof AppError && err.status >= 400 && err.status < 500 && err.status !== 404) {
        await renderStages(res, { problem: err.message, status: err.status });
        return;
      }
      throw err;
    }
    res.redirect(303, '/leads/stages?saved=1');
  }

  router.get('/leads/stages', async (req, res) => {
    await renderStages(res, { saved: req.query.saved === '1' ? 'Stages saved.' : '' });
  });
  router.post('/leads/stages', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await stageAction(res, () => leads.addStage(body.name, body.kind ?? 'open', auditActor(req)));
  });
  router.post('/leads/stages/:stage', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await stageAction(res, () => leads.editStage(stageOf(req).id, body.name, body.kind, auditActor(req)));
  });
  router.post('/leads/stages/:stage/move', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await stageAction(res, () => leads.moveStagePosition(stageOf(req).id, body.direction, auditActor(req)));
  });
  router.post('/leads/stages/:stage/delete', async (req, res) => {
    await stageAction(res, () => leads.removeStage(stageOf(req).id, auditActor(req)));
  });

  return router;
}
