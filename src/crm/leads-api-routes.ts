// The JSON API for leads (README, JSON API): the pipeline a page at a time (GET /api/v1/leads, with
// the board's filters), and a contact's lead (GET, and PATCH, which makes them a lead when they are
// not one). Behind a bearer token or a signed-in session of either role (app.ts mounts /api/v1).
import { Router } from 'express';
import { AppError, badRequest } from '../core/errors';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { auditActor } from '../privacy/audit';
import type { LeadInput } from './lead-input';
import { leadPage, parseFilter, type LeadCard } from './lead-queries';
import { listStages, type Lead, type LeadStage } from './leads';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const money = (cents: number | null) => (cents === null ? null : cents / 100);

/** A lead as the API shows it; `value` is an amount in the business's currency (two decimals). */
function leadJson(l: LeadCard, stages: LeadStage[]) {
  const stage = stages.find((s) => s.id === l.stage_id);
  return {
    id: l.id,
    contact: { id: l.contact_id, name: l.name, psid: l.psid },
    stage: stage?.name ?? null,
    stage_kind: stage?.kind ?? null,
    source: l.source,
    value: money(l.value_cents),
    expected_close: l.expected_close,
    owner_id: l.owner_id,
    lost_reason: l.lost_reason,
    created_at: iso(l.created_at),
    updated_at: iso(l.updated_at),
    closed_at: iso(l.closed_at),
  };
}

const FIELDS = ['stage', 'value', 'expected_close', 'owner_id', 'lost_reason'];

export function leadsApiRouter(deps: Deps): Router {
  const { db, leads } = deps;
  const router = Router();
  const contactOf = routeEntity(
    router,
    'contact',
    (id) =>
      db.get<{ id: number; name: string | null; psid: string; lead_source: string | null }>(
        'SELECT id, name, psid, lead_source FROM contacts WHERE id = ?',
        [id],
      ),
    'That contact does not exist.',
  );

  /** The contact's lead as the API shows it (one row of the list's query). */
  async function contactLeadJson(lead: Lead) {
    const [row] = await leadPage(db, {}, 1, lead.id - 1);
    return leadJson(row, await listStages(db));
  }

  router.get('/api/v1/leads', async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const stages = await listStages(db);
    const filter = parseFilter(q, stages);
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      throw badRequest('invalid-limit', 'limit must be a whole number from 1 to 200.');
    const cursor = q.cursor === undefined || q.cursor === '' ? 0 : Number(q.cursor);
    if (!Number.isSafeInteger(cursor) || cursor < 0)
      throw badRequest('invalid-cursor', 'The cursor is not one this server gave out.');
    const rows = await leadPage(db, filter, limit + 1, cursor);
    const page = rows.slice(0, limit);
    res.json({
      data: page.map((r) => leadJson(r, stages)),
      next_cursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    });
  });

  router.get('/api/v1/contacts/:contact/lead', async (req, res) => {
    const contact = contactOf(req);
    const lead = await leads.forContact(contact.id);
    if (!lead) throw new AppError(404, 'not-a-lead', 'This contact is not a lead yet: PATCH their lead to make them one.');
    res.json(await contactLeadJson(lead));
  });

  router.patch('/api/v1/contacts/:contact/lead', async (req, res) => {
    const contact = contactOf(req);
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('invalid-body', `Send a JSON object with any of ${FIELDS.join(', ')}.`, { field: null });
    for (const key of Object.keys(body))
      if (!FIELDS.includes(key))
        throw badRequest(
          'unknown-field',
          `Unknown field ${JSON.stringify(key.slice(0, 60))}: send any of ${FIELDS.join(', ')}.`,
          {
            field: key.slice(0, 60),
          },
        );
    const { lead, created } = await leads.change(contact.id, body as LeadInput, auditActor(req));
    res.status(created ? 201 : 200).json(await contactLeadJson(lead));
  });

  return router;
}
