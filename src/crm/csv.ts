// Contacts as CSV. Export: one row per contact with their lead's stage and source and every custom
// field as a column (defined fields first), cells defused against spreadsheet formulas
// (privacy/export-format.ts). Import: a CSV read into a plan, each row matched to a person who wrote
// to the Page (by psid, else by email) and checked by the same rules as the contact form; rows that
// match nobody are refused, since a contact here is a Messenger person and ChatX adds people when
// they write. The valid rows are applied in ONE transaction, re-checked inside it, or none at all.
import { checkContactChange, type ContactChange, type FieldRule } from '../conversations/contact-details';
import { correctContact, parseFields } from '../conversations/contacts';
import type { Conversations } from '../conversations/service';
import type { Queryable } from '../core/db';
import { csv, isoTime, type CsvColumn } from '../privacy/export-format';
import { audit, type AuditEntry } from '../privacy/audit';

export const IMPORT_LIMITS = { bytes: 1024 * 1024, rows: 5000, columns: 40 };

interface ExportRow {
  id: number;
  psid: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  stage: string | null;
  source: string | null;
  fields: string;
  created_at: number;
}

/** The contacts as CSV text, a page at a time; custom field columns are the defined ones, then every other name in use. */
export async function* contactsCsv(db: Queryable, defs: FieldRule[]): AsyncGenerator<string> {
  const used = await db.all<{ key: string }>(
    'SELECT DISTINCT j.key AS key FROM contacts k, json_each(k.fields) j WHERE json_valid(k.fields) ORDER BY j.key LIMIT 200',
  );
  const defined = new Set(defs.map((d) => d.name.toLowerCase()));
  const fieldNames = [...defs.map((d) => d.name), ...used.map((u) => u.key).filter((k) => !defined.has(k.toLowerCase()))];
  const columns: CsvColumn<ExportRow & { parsed: Record<string, string> }>[] = [
    { name: 'id', value: (r) => r.id },
    { name: 'psid', value: (r) => r.psid },
    { name: 'name', value: (r) => r.name },
    { name: 'email', value: (r) => r.email },
    { name: 'phone', value: (r) => r.phone },
    { name: 'lead_stage', value: (r) => r.stage },
    { name: 'lead_source', value: (r) => r.source },
    ...fieldNames.map((name) => ({ name, value: (r: { parsed: Record<string, string> }) => fieldValue(r.parsed, name) })),
    { name: 'created_at', value: (r) => isoTime(r.created_at) },
  ];
  async function* pages() {
    let after = 0;
    for (;;) {
      const rows = await db.all<ExportRow>(
        `SELECT k.id, k.psid, k.name, k.email, k.phone, s.name AS stage, k.lead_source AS source, k.fields, k.created_at
         FROM contacts k LEFT JOIN leads l ON l.contact_id = k.id LEFT JOIN lead_stages s ON s.id = l.stage_id
         WHERE k.id > ? ORDER BY k.id LIMIT 500`,
        [after],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      yield rows.map((r) => ({ ...r, parsed: parseFields(r.fields) }));
    }
  }
  yield* csv(columns, pages());
}

function fieldValue(fields: Record<string, string>, name: string): string {
  if (Object.hasOwn(fields, name)) return fields[name];
  const key = Object.keys(fields).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? '' : fields[key];
}

export class CsvError extends Error {}

/** RFC 4180 CSV (commas, "quoted" cells with "" inside, CRLF or LF), a BOM skipped; blank lines dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(cell);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    cell = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
    } else cell += ch;
  }
  if (quoted) throw new CsvError(`A quoted cell that starts on or before line ${line} never ends: check its quotes.`);
  if (cell !== '' || row.length > 0) endRow();
  return rows;
}

/** One data row's outcome in the preview. Line numbers count the header as line 1. */
export interface ImportRow {
  line: number;
  /** What the row names the person by (psid or email), for the preview. */
  who: string;
  contactId?: number;
  outcome: 'update' | 'unchanged' | 'error';
  /** The fields the row changes (update). */
  fields: string[];
  errors: string[];
  change?: ContactChange;
}

export interface ImportPlan {
  rows: ImportRow[];
  /** Header problems that stop the whole file (no row is read). */
  fileErrors: string[];
  /** Columns the import does not write (id, lead stage, …). */
  ignored: string[];
}

const DETAILS = ['name', 'email', 'phone'];
const IGNORED = ['id', 'lead_stage', 'lead_source', 'created_at'];

interface Stored {
  id: number;
  psid: string;
  name: string | null;
  messenger_name: string | null;
  email: string | null;
  phone: string | null;
  fields: string;
}

/** Reads a CSV's rows into a plan, against the contacts as `db` sees them (inside the apply transaction, too). */
export async function planImport(db: Queryable, table: string[][], rules: FieldRule[]): Promise<ImportPlan> {
  const plan: ImportPlan = { rows: [], fileErrors: [], ignored: [] };
  const [header, ...data] = table;
  if (!header)
    return { ...plan, fileErrors: ['The file is empty: the first line names the columns (psid, name, email, phone, …).'] };
  const names = header.map((h) => h.trim());
  const lower = names.map((h) => h.toLowerCase());
  if (!lower.includes('psid') && !lower.includes('email'))
    plan.fileErrors.push('The first line needs a psid or an email column, to find each person.');
  if (names.length > IMPORT_LIMITS.columns) plan.fileErrors.push(`Keep to ${IMPORT_LIMITS.columns} columns.`);
  const dupe = lower.find((h, i) => h !== '' && lower.indexOf(h) !== i);
  if (dupe) plan.fileErrors.push(`The column ${JSON.stringify(dupe)} appears twice.`);
  if (names.some((h) => h === '')) plan.fileErrors.push('Every column needs a name in the first line.');
  if (data.length > IMPORT_LIMITS.rows) plan.fileErrors.push(`Import at most ${IMPORT_LIMITS.rows} rows at once.`);
  if (data.length === 0) plan.fileErrors.push('The file has a header but no rows.');
  if (plan.fileErrors.length > 0) return plan;
  plan.ignored = names.filter((_, i) => IGNORED.includes(lower[i]));
  const seen = new Map<number, number>();
  for (const [index, cells] of data.entries()) {
    const line = index + 2;
    const cell = (name: string) => {
      const i = lower.indexOf(name);
      return i < 0 ? '' : (cells[i] ?? '').trim();
    };
    const psid = cell('psid');
    const email = cell('email');
    const row: ImportRow = { line, who: psid || email || '—', outcome: 'error', fields: [], errors: [] };
    plan.rows.push(row);
    if (cells.length !== names.length) {
      row.errors.push(`It has ${cells.length} cells where the first line names ${names.length} columns.`);
      continue;
    }
    const found = await findContact(db, psid, email, row.errors);
    if (!found) continue;
    row.contactId = found.id;
    const earlier = seen.get(found.id);
    if (earlier) {
      row.errors.push(`Line ${earlier} already changes this person.`);
      continue;
    }
    seen.set(found.id, line);
    // An empty cell keeps what is there; custom fields are merged into the person's.
    const fields = new Map<string, unknown>(Object.entries(parseFields(found.fields)));
    names.forEach((name, i) => {
      const key = lower[i];
      if (key === 'psid' || DETAILS.includes(key) || IGNORED.includes(key)) return;
      const value = (cells[i] ?? '').trim();
      if (value === '') return;
      const existing = [...fields.keys()].find((k) => k.toLowerCase() === key);
      fields.set(existing ?? name, value);
    });
    const given = (key: string) => (cell(key) === '' ? undefined : cell(key));
    const { change, problems } = checkContactChange(
      { name: given('name'), email: given('email'), phone: given('phone'), fields: [...fields.entries()] },
      rules,
    );
    if (problems.length > 0) {
      row.errors.push(...problems.map((p) => p.message));
      continue;
    }
    row.change = change;
    row.fields = changedFields(found, change);
    row.outcome = row.fields.length > 0 ? 'update' : 'unchanged';
  }
  return plan;
}

async function findContact(db: Queryable, psid: string, email: string, errors: string[]): Promise<Stored | undefined> {
  const columns = 'id, psid, name, messenger_name, email, phone, fields';
  if (psid !== '') {
    const byPsid = await db.get<Stored>(`SELECT ${columns} FROM contacts WHERE psid = ?`, [psid]);
    if (!byPsid) errors.push('Nobody with this psid has written to the Page: ChatX adds people when they write.');
    return byPsid;
  }
  if (email === '') {
    errors.push('It has neither a psid nor an email: a new contact needs a psid, since a contact is a Messenger person.');
    return undefined;
  }
  const byEmail = await db.all<Stored>(`SELECT ${columns} FROM contacts WHERE email = ? COLLATE NOCASE LIMIT 2`, [email]);
  if (byEmail.length === 0) errors.push('No contact has this email, and it has no psid: a new contact needs a psid.');
  if (byEmail.length > 1) errors.push('Several contacts have this email: add their psid to say which.');
  return byEmail.length === 1 ? byEmail[0] : undefined;
}

function changedFields(stored: Stored, change: ContactChange): string[] {
  const out: string[] = [];
  if (change.name !== undefined && change.name !== stored.name) out.push('name');
  if (change.email !== undefined && change.email !== stored.email) out.push('email');
  if (change.phone !== undefined && change.phone !== stored.phone) out.push('phone');
  const before = parseFields(stored.fields);
  const after = change.fields ?? before;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) if (before[key] !== after[key]) out.push(key);
  return out;
}

export type ApplyResult = { applied: number } | { plan: ImportPlan };

/**
 * Applies the valid rows of `table` in one transaction, planned again inside it so a contact changed
 * since the preview is judged as it is now: a row in error that the preview showed (`refused`, its
 * lines) is skipped; a new error, or any failure, writes nothing. Each person changed is
 * audit-logged (`contact.imported`, the fields' names, never their values).
 */
export function applyImport(
  conversations: Conversations,
  table: string[][],
  rules: FieldRule[],
  refused: number[],
  who: Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>,
): Promise<ApplyResult> {
  return conversations.write(async (w) => {
    const plan = await planImport(w.tx, table, rules);
    if (plan.fileErrors.length > 0 || plan.rows.some((r) => r.outcome === 'error' && !refused.includes(r.line))) return { plan };
    let applied = 0;
    for (const row of plan.rows) {
      if (row.outcome !== 'update' || !row.change || !row.contactId) continue;
      const changed = await correctContact(w, row.contactId, row.change);
      if (changed.length === 0) continue;
      applied++;
      await audit(w.tx, {
        ...who,
        action: 'contact.imported',
        target: `contact #${row.contactId}`,
        detail: { fields: changed, line: row.line },
      });
    }
    return { applied };
  });
}
