// Reading the pipeline: the board (each stage's newest cards, its count and value), the sortable
// table, the API's pages, and what the filters offer (owners, sources, labels). All read-only;
// src/crm/leads.ts writes. Filters and sorting come from fixed SQL fragments; only values are bound.
import { displayName } from '../conversations/names';
import { badRequest } from '../core/errors';
import type { Params, Queryable } from '../core/db';
import { listStages, type LeadStage } from './leads';

export interface LeadFilter {
  /** A user id, or 'none' for leads nobody owns. */
  owner?: number | 'none';
  stageId?: number;
  source?: string;
  label?: string;
}

export interface LeadCard {
  id: number;
  contact_id: number;
  stage_id: number;
  name: string;
  psid: string;
  source: string | null;
  value_cents: number | null;
  expected_close: string | null;
  owner_id: number | null;
  owner_name: string | null;
  lost_reason: string | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
}

export const SORTS = {
  name: 'k.name COLLATE NOCASE',
  stage: 's.position',
  value: 'l.value_cents',
  expected_close: 'l.expected_close',
  owner: "COALESCE(NULLIF(u.name, ''), u.email) COLLATE NOCASE",
  source: 'k.lead_source COLLATE NOCASE',
  updated: 'l.updated_at',
} as const;
export type LeadSort = keyof typeof SORTS;

/** Cards a board column shows; the table has every lead. */
export const BOARD_CARDS = 50;
export const TABLE_ROWS = 200;

const SELECT = `SELECT l.id, l.contact_id, l.stage_id, k.name, k.psid, k.lead_source AS source, l.value_cents, l.expected_close,
    l.owner_id, COALESCE(NULLIF(u.name, ''), u.email) AS owner_name, l.lost_reason, l.created_at, l.updated_at, l.closed_at`;
const FROM = `FROM leads l JOIN contacts k ON k.id = l.contact_id JOIN lead_stages s ON s.id = l.stage_id
  LEFT JOIN users u ON u.id = l.owner_id`;

function where(filter: LeadFilter): { sql: string; params: Params } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (filter.owner === 'none') parts.push('l.owner_id IS NULL');
  else if (filter.owner !== undefined) {
    parts.push('l.owner_id = ?');
    params.push(filter.owner);
  }
  if (filter.stageId !== undefined) {
    parts.push('l.stage_id = ?');
    params.push(filter.stageId);
  }
  if (filter.source !== undefined) {
    parts.push('k.lead_source = ?');
    params.push(filter.source);
  }
  if (filter.label !== undefined) {
    parts.push(`EXISTS (SELECT 1 FROM conversations c JOIN conversation_labels cl ON cl.conversation_id = c.id
      JOIN labels lb ON lb.id = cl.label_id WHERE c.contact_id = l.contact_id AND lb.name = ?)`);
    params.push(filter.label);
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

const named = (rows: LeadCard[]) => rows.map((r) => ({ ...r, name: displayName({ name: r.name, psid: r.psid }) }));

export interface BoardColumn {
  stage: LeadStage;
  count: number;
  valueCents: number;
  cards: LeadCard[];
}

/**
 * One column per stage, in order: its newest cards (up to BOARD_CARDS), how many in all, their value.
 * A query per stage walks the leads_stage index newest first and stops at the page; the totals
 * without filters count the leads table alone.
 */
export async function board(db: Queryable, filter: LeadFilter): Promise<BoardColumn[]> {
  const w = where({ ...filter, stageId: undefined });
  const stages = await listStages(db);
  const shown = filter.stageId === undefined ? stages : stages.filter((s) => s.id === filter.stageId);
  const and = w.sql ? `${w.sql} AND` : 'WHERE';
  const filtered = w.sql !== '';
  const [totals, ...cards] = await Promise.all([
    db.all<{ stage_id: number; n: number; value: number | null }>(
      filtered
        ? `SELECT l.stage_id, count(*) AS n, sum(l.value_cents) AS value ${FROM} ${w.sql} GROUP BY l.stage_id`
        : 'SELECT stage_id, count(*) AS n, sum(value_cents) AS value FROM leads GROUP BY stage_id',
      filtered ? w.params : [],
    ),
    ...shown.map((stage) =>
      db.all<LeadCard>(`${SELECT} ${FROM} ${and} l.stage_id = ? ORDER BY l.updated_at DESC, l.id DESC LIMIT ${BOARD_CARDS}`, [
        ...(w.params as (string | number)[]),
        stage.id,
      ]),
    ),
  ]);
  return stages.map((stage) => {
    const total = totals.find((t) => t.stage_id === stage.id);
    const at = shown.indexOf(stage);
    return {
      stage,
      count: at < 0 ? 0 : (total?.n ?? 0),
      valueCents: at < 0 ? 0 : (total?.value ?? 0),
      cards: at < 0 ? [] : named(cards[at]),
    };
  });
}

/** The table view: every lead matching, sorted by a column (ties by newest), a page at a time. */
export async function leadTable(
  db: Queryable,
  filter: LeadFilter,
  sort: LeadSort,
  dir: 'asc' | 'desc',
  page = 1,
): Promise<{ rows: LeadCard[]; total: number }> {
  const w = where(filter);
  // NULLs last whichever way: a lead without a value or a date is not the smallest one.
  const order = `${SORTS[sort]} IS NULL, ${SORTS[sort]} ${dir === 'desc' ? 'DESC' : 'ASC'}, l.updated_at DESC, l.id DESC`;
  const [rows, total] = await Promise.all([
    db.all<LeadCard>(`${SELECT} ${FROM} ${w.sql} ORDER BY ${order} LIMIT ${TABLE_ROWS} OFFSET ?`, [
      ...(w.params as (string | number)[]),
      (page - 1) * TABLE_ROWS,
    ]),
    db.get<{ n: number }>(`SELECT count(*) AS n ${FROM} ${w.sql}`, w.params),
  ]);
  return { rows: named(rows), total: total!.n };
}

/** The API's pages: by lead id, after the cursor (the last id of the previous page). */
export async function leadPage(db: Queryable, filter: LeadFilter, limit: number, cursor: number): Promise<LeadCard[]> {
  const w = where(filter);
  const sql = w.sql ? `${w.sql} AND l.id > ?` : 'WHERE l.id > ?';
  return named(
    await db.all<LeadCard>(`${SELECT} ${FROM} ${sql} ORDER BY l.id LIMIT ?`, [
      ...(w.params as (string | number)[]),
      cursor,
      limit,
    ]),
  );
}

/** Every lead matching, in the table's order, for the CSV (a page at a time by id). */
export async function* leadPages(db: Queryable, filter: LeadFilter): AsyncGenerator<LeadCard[]> {
  let cursor = 0;
  for (;;) {
    const rows = await leadPage(db, filter, 1000, cursor);
    if (rows.length === 0) return;
    yield rows;
    cursor = rows[rows.length - 1].id;
  }
}

/** What the filters offer: the active team, the sources leads came from, the labels. */
export async function filterChoices(db: Queryable) {
  const [owners, sources, labels] = await Promise.all([
    db.all<{ id: number; name: string }>(
      "SELECT id, COALESCE(NULLIF(name, ''), email) AS name FROM users WHERE status = 'active' ORDER BY name COLLATE NOCASE",
    ),
    db.all<{ source: string }>(
      `SELECT DISTINCT k.lead_source AS source FROM leads l JOIN contacts k ON k.id = l.contact_id
       WHERE k.lead_source IS NOT NULL AND k.lead_source != '' ORDER BY 1 LIMIT 200`,
    ),
    db.all<{ name: string }>('SELECT name FROM labels ORDER BY name LIMIT 200'),
  ]);
  return { owners, sources: sources.map((s) => s.source), labels: labels.map((l) => l.name) };
}

/** Reads the filters from a query string (pages and the API alike); a malformed one is a 400 naming it. */
export function parseFilter(query: Record<string, unknown>, stages: LeadStage[]): LeadFilter {
  const filter: LeadFilter = {};
  const text = (name: string) => {
    const v = query[name];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const owner = text('owner') ?? text('owner_id');
  if (owner !== undefined) {
    if (owner === 'none') filter.owner = 'none';
    else if (/^\d{1,9}$/.test(owner)) filter.owner = Number(owner);
    else throw badRequest('invalid-owner', 'owner must be a user id or "none".', { field: 'owner' });
  }
  const stage = text('stage');
  if (stage !== undefined) {
    const found = stages.find((s) => String(s.id) === stage || s.name.toLowerCase() === stage.toLowerCase());
    if (!found) throw badRequest('unknown-stage', `There is no stage ${JSON.stringify(stage.slice(0, 40))}.`, { field: 'stage' });
    filter.stageId = found.id;
  }
  const source = text('source');
  if (source !== undefined) filter.source = source.slice(0, 200);
  const label = text('label');
  if (label !== undefined) filter.label = label.slice(0, 100);
  return filter;
}
