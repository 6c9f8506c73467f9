// Leads and the pipeline: the only writer of lead_stages, leads and lead_events. Any contact can be
// made a lead (no phone number needed); a change of stage, value, expected close date, owner or
// lost reason is recorded in lead_events (for the timeline and the dashboard) and audit-logged in
// the same transaction (`lead.updated`, the changed fields' names, never their values). Entering a
// won or lost stage sets closed_at; going back to an open stage clears it. The owner edits the
// stages: rename, add, reorder, remove (only when no lead is in it); at least one open, one won and
// one lost stage always remain.
import type { Db, Queryable } from '../core/db';
import { AppError, conflict, notFound } from '../core/errors';
import { audit, type AuditEntry } from '../privacy/audit';
import { checkLeadInput, leadProblemsError, type LeadInput, type LeadPatch, type LeadStage } from './lead-input';

export type { LeadStage };
export type Who = Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>;

export interface Lead {
  id: number;
  contactId: number;
  stage: LeadStage;
  valueCents: number | null;
  expectedClose: string | null;
  ownerId: number | null;
  lostReason: string | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

interface LeadRow {
  id: number;
  contact_id: number;
  stage_id: number;
  value_cents: number | null;
  expected_close: string | null;
  owner_id: number | null;
  lost_reason: string | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
}

export const STAGE_KINDS = ['open', 'won', 'lost'] as const;
const STAGE_NAME_MAX = 40;

export function listStages(db: Queryable): Promise<LeadStage[]> {
  return db.all<LeadStage>('SELECT id, name, position, kind FROM lead_stages ORDER BY position, id');
}

export async function activeUserIds(db: Queryable): Promise<Set<number>> {
  const rows = await db.all<{ id: number }>("SELECT id FROM users WHERE status = 'active'");
  return new Set(rows.map((r) => r.id));
}

function leadOf(row: LeadRow, stages: LeadStage[]): Lead {
  return {
    id: row.id,
    contactId: row.contact_id,
    stage: stages.find((s) => s.id === row.stage_id)!,
    valueCents: row.value_cents,
    expectedClose: row.expected_close,
    ownerId: row.owner_id,
    lostReason: row.lost_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
  };
}

const LEAD_COLUMNS =
  'id, contact_id, stage_id, value_cents, expected_close, owner_id, lost_reason, created_at, updated_at, closed_at';

/** The lead of a contact, if they are one. */
export async function leadOfContact(db: Queryable, contactId: number): Promise<Lead | undefined> {
  const row = await db.get<LeadRow>(`SELECT ${LEAD_COLUMNS} FROM leads WHERE contact_id = ?`, [contactId]);
  return row ? leadOf(row, await listStages(db)) : undefined;
}

export async function leadById(db: Queryable, id: number): Promise<Lead | undefined> {
  const row = await db.get<LeadRow>(`SELECT ${LEAD_COLUMNS} FROM leads WHERE id = ?`, [id]);
  return row ? leadOf(row, await listStages(db)) : undefined;
}

/** The event kinds, by the field they record (the audit names the fields the API uses). */
const FIELDS = [
  ['stageId', 'stage'],
  ['valueCents', 'value'],
  ['expectedClose', 'expected_close'],
  ['ownerId', 'owner_id'],
  ['lostReason', 'lost_reason'],
] as const;

export class Leads {
  constructor(private readonly db: Db) {}

  stages(): Promise<LeadStage[]> {
    return listStages(this.db);
  }

  forContact(contactId: number): Promise<Lead | undefined> {
    return leadOfContact(this.db, contactId);
  }

  /**
   * Checks `input` and applies it to the contact's lead, making them a lead first when they are not
   * one (in the first open stage, unless the input names another). Nothing is written when any field
   * is wrong (the error names it). Returns the lead and the names of the fields that changed.
   */
  change(contactId: number, input: LeadInput, who: Who): Promise<{ lead: Lead; changed: string[]; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const stages = await listStages(tx);
      const { patch, problems } = checkLeadInput(input, stages, await activeUserIds(tx));
      if (problems.length > 0) throw leadProblemsError(problems);
      return this.apply(tx, contactId, patch, stages, who);
    });
  }

  private async apply(tx: Queryable, contactId: number, patch: LeadPatch, stages: LeadStage[], who: Who) {
    const now = Date.now();
    let row = await tx.get<LeadRow>(`SELECT ${LEAD_COLUMNS} FROM leads WHERE contact_id = ?`, [contactId]);
    const created = row === undefined;
    const changed: string[] = [];
    const event = (leadId: number, kind: string, from: unknown, to: unknown) =>
      tx.run('INSERT INTO lead_events (lead_id, at, actor_user_id, kind, from_value, to_value) VALUES (?, ?, ?, ?, ?, ?)', [
        leadId,
        now,
        who.actorUserId ?? null,
        kind,
        from === null || from === undefined ? null : String(from),
        to === null || to === undefined ? null : String(to),
      ]);
    const stageName = (id: number) => stages.find((s) => s.id === id)!.name;
    if (!row) {
      const first = stages.find((s) => s.kind === 'open') ?? stages[0];
      const { lastID } = await tx.run('INSERT INTO leads (contact_id, stage_id, created_at, updated_at) VALUES (?, ?, ?, ?)', [
        contactId,
        first.id,
        now,
        now,
      ]);
      await event(lastID, 'created', null, first.name);
      row = (await tx.get<LeadRow>(`SELECT ${LEAD_COLUMNS} FROM leads WHERE id = ?`, [lastID]))!;
    }
    const before = row;
    const after: LeadRow = { ...before };
    for (const [key, kind] of FIELDS) {
      const value = patch[key];
      if (value === undefined) continue;
      const column = (
        {
          stageId: 'stage_id',
          valueCents: 'value_cents',
          expectedClose: 'expected_close',
          ownerId: 'owner_id',
          lostReason: 'lost_reason',
        } as const
      )[key];
      if (before[column] === value) continue;
      (after as unknown as Record<string, unknown>)[column] = value;
      changed.push(kind);
      if (key === 'stageId') await event(before.id, 'stage', stageName(before.stage_id), stageName(value as number));
      else await event(before.id, kind, before[column], value);
    }
    if (changed.includes('stage')) {
      const kind = stages.find((s) => s.id === after.stage_id)!.kind;
      after.closed_at = kind === 'open' ? null : now;
    }
    if (changed.length > 0) {
      await tx.run(
        `UPDATE leads SET stage_id = ?, value_cents = ?, expected_close = ?, owner_id = ?, lost_reason = ?, closed_at = ?, updated_at = ?
         WHERE id = ?`,
        [
          after.stage_id,
          after.value_cents,
          after.expected_close,
          after.owner_id,
          after.lost_reason,
          after.closed_at,
          now,
          before.id,
        ],
      );
      after.updated_at = now;
    }
    if (created || changed.length > 0)
      await audit(tx, {
        ...who,
        action: 'lead.updated',
        target: `contact #${contactId}`,
        detail: { fields: created ? ['created', ...changed] : changed },
      });
    return { lead: leadOf(after, stages), changed, created };
  }

  /** Moves a lead to another stage (the board). */
  async moveStage(leadId: number, stageId: unknown, who: Who): Promise<Lead> {
    const lead = await leadById(this.db, leadId);
    if (!lead) throw notFound('That lead does not exist.');
    return (await this.change(lead.contactId, { stage_id: stageId }, who)).lead;
  }

  // The owner's stage editor.

  async addStage(name: unknown, kind: unknown, who: Who): Promise<LeadStage> {
    return this.db.transaction(async (tx) => {
      const checkedName = await this.checkName(tx, name, null);
      const checkedKind = checkKind(kind);
      // A new stage goes before the closing ones when it is open, else at the end.
      const stages = await listStages(tx);
      const firstClosed = stages.find((s) => s.kind !== 'open');
      const position = checkedKind === 'open' && firstClosed ? firstClosed.position : (stages.at(-1)?.position ?? 0) + 1;
      await tx.run('UPDATE lead_stages SET position = position + 1 WHERE position >= ?', [position]);
      const { lastID } = await tx.run('INSERT INTO lead_stages (name, position, kind, created_at) VALUES (?, ?, ?, ?)', [
        checkedName,
        position,
        checkedKind,
        Date.now(),
      ]);
      await audit(tx, { ...who, action: 'lead_stage.added', target: `stage #${lastID}`, detail: { kind: checkedKind } });
      return { id: lastID, name: checkedName, position, kind: checkedKind };
    });
  }

  async editStage(id: number, name: unknown, kind: unknown, who: Who): Promise<void> {
    await this.db.transaction(async (tx) => {
      const stages = await listStages(tx);
      const stage = stages.find((s) => s.id === id);
      if (!stage) throw notFound('That stage does not exist.');
      const checkedName = await this.checkName(tx, name, id);
      const checkedKind = kind === undefined ? stage.kind : checkKind(kind);
      requireKinds(stages.map((s) => (s.id === id ? { ...s, kind: checkedKind } : s)));
      if (checkedKind !== stage.kind && (await this.inUse(tx, id)) > 0)
        throw conflict('stage-in-use', `Leads are in “${stage.name}”: move them elsewhere before changing what the stage means.`);
      await tx.run('UPDATE lead_stages SET name = ?, kind = ? WHERE id = ?', [checkedName, checkedKind, id]);
      await audit(tx, { ...who, action: 'lead_stage.edited', target: `stage #${id}`, detail: { kind: checkedKind } });
    });
  }

  /** Moves a stage one place up (earlier) or down (later) on the board. */
  async moveStagePosition(id: number, direction: unknown, who: Who): Promise<void> {
    if (direction !== 'up' && direction !== 'down') throw new AppError(400, 'invalid-direction', 'Say up or down.');
    await this.db.transaction(async (tx) => {
      const stages = await listStages(tx);
      const at = stages.findIndex((s) => s.id === id);
      if (at < 0) throw notFound('That stage does not exist.');
      const other = stages[direction === 'up' ? at - 1 : at + 1];
      if (!other) return;
      // Positions are renumbered 1..n, so the swap never meets a duplicate.
      const order = stages.map((s) => s.id);
      [order[at], order[stages.indexOf(other)]] = [other.id, id];
      for (const [i, stageId] of order.entries())
        await tx.run('UPDATE lead_stages SET position = ? WHERE id = ?', [i + 1, stageId]);
      await audit(tx, { ...who, action: 'lead_stage.moved', target: `stage #${id}`, detail: { direction } });
    });
  }

  async removeStage(id: number, who: Who): Promise<void> {
    await this.db.transaction(async (tx) => {
      const stages = await listStages(tx);
      const stage = stages.find((s) => s.id === id);
      if (!stage) throw notFound('That stage does not exist.');
      const used = await this.inUse(tx, id);
      if (used > 0)
        throw conflict(
          'stage-in-use',
          `${used === 1 ? 'A lead is' : `${used} leads are`} in “${stage.name}”: move ${used === 1 ? 'it' : 'them'} to another stage first.`,
        );
      requireKinds(stages.filter((s) => s.id !== id));
      await tx.run('DELETE FROM lead_stages WHERE id = ?', [id]);
      await audit(tx, { ...who, action: 'lead_stage.removed', target: `stage #${id}` });
    });
  }

  private async inUse(tx: Queryable, stageId: number): Promise<number> {
    return (await tx.get<{ n: number }>('SELECT count(*) AS n FROM leads WHERE stage_id = ?', [stageId]))!.n;
  }

  private async checkName(tx: Queryable, name: unknown, except: number | null): Promise<string> {
    if (typeof name !== 'string' || name.trim() === '')
      throw new AppError(422, 'invalid-stage-name', 'Give the stage a name.', { field: 'name' });
    const trimmed = name.trim().replace(/\s+/g, ' ');
    if (trimmed.length > STAGE_NAME_MAX)
      throw new AppError(422, 'invalid-stage-name', `A stage name can be ${STAGE_NAME_MAX} characters at most.`, {
        field: 'name',
      });
    const same = await tx.get<{ id: number }>('SELECT id FROM lead_stages WHERE name = ? AND id IS NOT ?', [trimmed, except]);
    if (same) throw conflict('stage-name-taken', `There is already a stage called “${trimmed}”.`);
    return trimmed;
  }
}

function checkKind(kind: unknown): LeadStage['kind'] {
  if (!(STAGE_KINDS as readonly unknown[]).includes(kind))
    throw new AppError(422, 'invalid-stage-kind', 'A stage is open, won or lost.', { field: 'kind' });
  return kind as LeadStage['kind'];
}

/** The pipeline needs somewhere to start and a way to win and to lose. */
function requireKinds(stages: Pick<LeadStage, 'kind'>[]): void {
  for (const kind of STAGE_KINDS)
    if (!stages.some((s) => s.kind === kind))
      throw conflict(
        'last-stage-of-kind',
        `At least one ${kind} stage must remain: ${kind === 'open' ? 'new leads start in the first one' : `leads need a way to be ${kind}`}.`,
      );
}
