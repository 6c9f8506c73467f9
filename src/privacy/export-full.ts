// The owner's full export: one ZIP with everything ChatX holds — contacts, conversations, messages
// and notes, attachments (files and details), labels, users, canned responses, deletion requests,
// the audit log, the settings and the AI's knowledge, drafts and ledger of calls — in JSON (messages as JSON Lines), contacts and conversations also
// as CSV, and a README inside that describes it all (export-readme.ts). Secrets and sign-in material
// stay out. It is streamed: tables are read a page at a time and written as the output takes them,
// so memory stays flat however big the data (bench/export.ts measures a million messages).
import type { Writable } from 'node:stream';
import type { Queryable } from '../core/db';
import { addAttachmentFiles, attachmentsJson } from './export-attachments';
import { bounds, exportRecords, isSecretSetting, type ExportCounts } from './export-counts';
import {
  columnsOf,
  csv,
  isoTime,
  jsonArray,
  jsonArrayOfPages,
  jsonLinesOfPages,
  jsonObjectSql,
  jsonPages,
  keyset,
  onePage,
  type CsvColumn,
  type OnRows,
  type Row,
} from './export-format';
import { exportReadme } from './export-readme';
import { once, ZipStream } from './export-zip';

export { exportRecords, isSecretSetting, type ExportCounts };

export const CONTACT_CSV: CsvColumn<Row>[] = [
  { name: 'id', value: (r) => r.id as number },
  { name: 'psid', value: (r) => r.psid as string },
  { name: 'name', value: (r) => r.name as string | null },
  { name: 'email', value: (r) => r.email as string | null },
  { name: 'phone', value: (r) => r.phone as string | null },
  { name: 'lead_stage', value: (r) => r.lead_stage as string | null },
  { name: 'lead_source', value: (r) => r.lead_source as string | null },
  { name: 'created_at', value: (r) => isoTime(r.created_at) },
  { name: 'updated_at', value: (r) => isoTime(r.updated_at) },
];

export const CONVERSATION_CSV: CsvColumn<Row>[] = [
  { name: 'id', value: (r) => r.id as number },
  { name: 'contact_id', value: (r) => r.contact_id as number },
  { name: 'contact_name', value: (r) => r.contact_name as string | null },
  { name: 'contact_psid', value: (r) => r.contact_psid as string },
  { name: 'status', value: (r) => r.status as string },
  { name: 'assignee_email', value: (r) => r.assignee_email as string | null },
  { name: 'labels', value: (r) => (JSON.parse(String(r.labels)) as string[]).join('; ') },
  { name: 'messages', value: (r) => r.message_count as number },
  { name: 'last_message_at', value: (r) => isoTime(r.last_message_at) },
  { name: 'created_at', value: (r) => isoTime(r.created_at) },
];

/** The stage of a contact's lead, by name (SQL, inside a query of contacts). */
const LEAD_STAGE_SQL = `(SELECT s.name FROM leads l JOIN lead_stages s ON s.id = l.stage_id WHERE l.contact_id = contacts.id)`;

/** The label names of the conversation `alias`, as a JSON array (SQL). */
export const labelsSql = (alias: string) => `(SELECT json_group_array(l.name) FROM conversation_labels cl
  JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = ${alias}.id)`;

const CONVERSATIONS_CSV_SQL = `SELECT c.id, c.contact_id, k.name AS contact_name, k.psid AS contact_psid, c.status,
    u.email AS assignee_email, ${labelsSql('c')} AS labels,
    (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count, c.last_message_at, c.created_at
  FROM conversations c JOIN contacts k ON k.id = c.contact_id LEFT JOIN users u ON u.id = c.assignee_id
  WHERE c.id > ? AND c.id <= ? ORDER BY c.id LIMIT ?`;

export interface FullExportOptions {
  /** When the export began (the README and the entries' dates). */
  now?: Date;
  /** Told the number of records when they are counted, and again as each page of them goes out. */
  onStart?(total: number, counts: ExportCounts): void;
  onRows?: OnRows;
}

/** Every row of a table, all its columns, encoded by SQLite: `<table>.json` or `.jsonl`. */
async function tableJson(db: Queryable, table: string, upTo: number, lines: boolean, onRows: OnRows, extra = '') {
  const json = jsonObjectSql('x', await columnsOf(db, table), extra);
  const pages = jsonPages(
    db,
    `SELECT x.id AS id, ${json} AS j FROM ${table} x WHERE x.id > ? AND x.id <= ? ORDER BY x.id LIMIT ?`,
    [],
    upTo,
    lines ? '\n' : ',\n',
  );
  return lines ? jsonLinesOfPages(pages, onRows) : jsonArrayOfPages(pages, onRows);
}

/** Writes the full export ZIP into `sink` and ends it; resolves with what was counted at the start. */
export async function writeFullExport(db: Queryable, sink: Writable, options: FullExportOptions = {}): Promise<ExportCounts> {
  const now = options.now ?? new Date();
  const { counts, upTo } = await bounds(db);
  options.onStart?.(exportRecords(counts), counts);
  const onRows: OnRows = options.onRows ?? (() => undefined);
  const zip = new ZipStream(sink, now);
  try {
    const leftOut = (await db.all<{ key: string }>('SELECT key FROM settings ORDER BY key'))
      .map((s) => s.key)
      .filter(isSecretSetting);
    const csvColumns = { contacts: CONTACT_CSV.map((c) => c.name), conversations: CONVERSATION_CSV.map((c) => c.name) };
    await zip.add('README.md', once(exportReadme({ exportedAt: now, counts, leftOutSettings: leftOut, csvColumns })));
    const manifest = { format: 'chatx-export', version: 1, exported_at: now.toISOString(), counts, left_out_settings: leftOut };
    await zip.add('manifest.json', once(`${JSON.stringify(manifest, null, 2)}\n`));

    await zip.add('contacts.json', await tableJson(db, 'contacts', upTo.contacts, false, onRows));
    const contacts = keyset<Row & { id: number }>(
      db,
      // lead_stage is the stage of their lead (src/crm/leads.ts), not the legacy column of that name.
      `SELECT ${CONTACT_CSV.map((c) => (c.name === 'lead_stage' ? `${LEAD_STAGE_SQL} AS lead_stage` : c.name)).join(', ')}
       FROM contacts WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
      [],
      upTo.contacts,
    );
    await zip.add('contacts.csv', csv(CONTACT_CSV, contacts, onRows));
    await zip.add(
      'conversations.json',
      await tableJson(db, 'conversations', upTo.conversations, false, onRows, `'labels', json(${labelsSql('x')})`),
    );
    const conversations = keyset<Row & { id: number }>(db, CONVERSATIONS_CSV_SQL, [], upTo.conversations);
    await zip.add('conversations.csv', csv(CONVERSATION_CSV, conversations, onRows));
    await zip.add('messages.jsonl', await tableJson(db, 'messages', upTo.messages, true, onRows));

    const table = (sql: string) => onePage(db.all<Row>(sql));
    await zip.add(
      'labels.json',
      jsonArray(table('SELECT id, name, color FROM labels ORDER BY id'), (r) => r, onRows),
    );
    // No password hash, no invitation token: they would let whoever holds the file sign in.
    const users = table('SELECT id, email, name, role, status, prefs, created_at, updated_at FROM users ORDER BY id');
    await zip.add(
      'users.json',
      jsonArray(users, (r) => r, onRows),
    );
    await zip.add(
      'canned_responses.json',
      jsonArray(table('SELECT * FROM canned_responses ORDER BY id'), (r) => r, onRows),
    );
    await zip.add(
      'deletion_requests.json',
      jsonArray(table('SELECT * FROM deletion_requests ORDER BY id'), (r) => r, onRows),
    );
    await zip.add('audit_log.json', await tableJson(db, 'audit_log', upTo.audit_log, false, onRows));
    // What the AI knows, the drafts waiting in composers, and the ledger of calls (no content).
    await zip.add(
      'knowledge.json',
      jsonArray(table('SELECT * FROM knowledge ORDER BY id'), (r) => r, onRows),
    );
    await zip.add(
      'ai_drafts.json',
      jsonArray(table('SELECT * FROM ai_drafts ORDER BY conversation_id'), (r) => r, onRows),
    );
    await zip.add('ai_calls.json', await tableJson(db, 'ai_calls', upTo.ai_calls, false, onRows));
    const settings = db
      .all<Row & { key: string }>('SELECT key, value, updated_at FROM settings ORDER BY key')
      .then((rows) => rows.filter((r) => !isSecretSetting(r.key)));
    await zip.add(
      'settings.json',
      jsonArray(onePage(settings), (r) => r, onRows),
    );

    // The files, then their details (export-attachments.ts says why in that order).
    const scope = { upTo: upTo.attachments };
    const times = await addAttachmentFiles(zip, db, scope, () => onRows(1));
    await zip.add('attachments.json', attachmentsJson(db, scope, times, onRows));
    await zip.finish();
  } catch (err) {
    await zip.abort(err as Error);
    throw err;
  }
  return counts;
}
