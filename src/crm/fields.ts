// The owner's custom fields for contacts: a name, a type (text, number, date, choice), the choices
// of a 'choice' field, and the order the forms show them in. The only writer of contact_field_defs.
// The values stay in contacts.fields by name; conversations/contact-details.ts checks them by type.
// A definition removed leaves its values as free text.
import type { FieldRule } from '../conversations/contact-details';
import type { Db, Queryable } from '../core/db';
import { AppError } from '../core/errors';
import { audit, type AuditEntry } from '../privacy/audit';

export const FIELD_TYPES = ['text', 'number', 'date', 'choice'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const FIELD_LIMITS = { defs: 30, name: 40, choices: 30, choice: 60 };

export interface FieldDef extends FieldRule {
  id: number;
  position: number;
}

/** The definitions in the order the forms show them. */
export async function listFieldDefs(db: Queryable): Promise<FieldDef[]> {
  const rows = await db.all<{ id: number; name: string; type: FieldType; choices: string; position: number }>(
    'SELECT id, name, type, choices, position FROM contact_field_defs ORDER BY position, id',
  );
  return rows.map((r) => ({ ...r, choices: parseChoices(r.choices) }));
}

export function getFieldDef(db: Queryable, id: number): Promise<FieldDef | undefined> {
  return listFieldDefs(db).then((defs) => defs.find((d) => d.id === id));
}

function parseChoices(stored: string): string[] {
  try {
    const value: unknown = JSON.parse(stored);
    return Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

/** What the owner typed, as the form shows it again after a mistake. */
export interface FieldDraft {
  name: string;
  type: string;
  choices: string;
  position: string;
}

export interface CheckedDef {
  name: string;
  type: FieldType;
  choices: string[];
  position: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Checks a definition form (choices one per line or comma-separated); problems keyed by the form's fields. */
export function checkFieldDef(body: Record<string, unknown>): {
  def?: CheckedDef;
  draft: FieldDraft;
  problems: Record<string, string>;
} {
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  const draft: FieldDraft = { name: text('name'), type: text('type'), choices: text('choices'), position: text('position') };
  const problems: Record<string, string> = {};
  const name = draft.name.trim();
  if (name === '' || [...name].length > FIELD_LIMITS.name || CONTROL.test(name))
    problems.name = `Give the field a name of 1 to ${FIELD_LIMITS.name} characters.`;
  const type = draft.type as FieldType;
  if (!FIELD_TYPES.includes(type)) problems.type = 'Choose text, number, date or choice.';
  // Each choice once (the first spelling wins), blanks dropped.
  const choices = draft.choices
    .split(/[\n,]/)
    .map((c) => c.trim())
    .filter((c, k, all) => c !== '' && all.findIndex((o) => o.toLowerCase() === c.toLowerCase()) === k);
  if (type === 'choice') {
    if (choices.length === 0) problems.choices = 'List the choices, one per line.';
    else if (choices.length > FIELD_LIMITS.choices || choices.some((c) => [...c].length > FIELD_LIMITS.choice || CONTROL.test(c)))
      problems.choices = `Up to ${FIELD_LIMITS.choices} choices of up to ${FIELD_LIMITS.choice} characters each.`;
  }
  const position = draft.position.trim() === '' ? 0 : Number(draft.position);
  if (!Number.isSafeInteger(position) || position < 0 || position > 1000)
    problems.position = 'The order is a whole number from 0 to 1000.';
  if (Object.keys(problems).length > 0) return { draft, problems };
  return { def: { name, type, choices: type === 'choice' ? choices : [], position }, draft, problems };
}

type Who = Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>;

function taken(err: unknown): boolean {
  return /UNIQUE constraint failed: contact_field_defs\.name/.test(String((err as Error)?.message));
}

const nameTaken = (name: string) => new AppError(409, 'field-name-taken', `There is already a field called ${name}.`);

/** Adds a definition; a position of 0 puts it last. */
export function createFieldDef(db: Db, def: CheckedDef, who: Who): Promise<number> {
  return db.transaction(async (tx) => {
    const count = await tx.get<{ n: number; last: number | null }>(
      'SELECT COUNT(*) AS n, MAX(position) AS last FROM contact_field_defs',
    );
    if ((count?.n ?? 0) >= FIELD_LIMITS.defs)
      throw new AppError(422, 'too-many-fields', `Keep to ${FIELD_LIMITS.defs} custom fields.`);
    const position = def.position || (count?.last ?? 0) + 1;
    try {
      const row = await tx.get<{ id: number }>(
        'INSERT INTO contact_field_defs (name, type, choices, position, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
        [def.name, def.type, JSON.stringify(def.choices), position, Date.now()],
      );
      await audit(tx, {
        ...who,
        action: 'contact_field.created',
        target: `contact field #${row!.id}`,
        detail: { name: def.name, type: def.type },
      });
      return row!.id;
    } catch (err) {
      if (taken(err)) throw nameTaken(def.name);
      throw err;
    }
  });
}

export function updateFieldDef(db: Db, id: number, def: CheckedDef, who: Who): Promise<void> {
  return db.transaction(async (tx) => {
    try {
      await tx.run('UPDATE contact_field_defs SET name = ?, type = ?, choices = ?, position = ? WHERE id = ?', [
        def.name,
        def.type,
        JSON.stringify(def.choices),
        def.position,
        id,
      ]);
    } catch (err) {
      if (taken(err)) throw nameTaken(def.name);
      throw err;
    }
    await audit(tx, {
      ...who,
      action: 'contact_field.updated',
      target: `contact field #${id}`,
      detail: { name: def.name, type: def.type },
    });
  });
}

export function deleteFieldDef(db: Db, id: number, who: Who): Promise<void> {
  return db.transaction(async (tx) => {
    await tx.run('DELETE FROM contact_field_defs WHERE id = ?', [id]);
    await audit(tx, { ...who, action: 'contact_field.deleted', target: `contact field #${id}` });
  });
}
