// The access right: everything ChatX holds about one person, as one JSON document — their contact
// row (Messenger id, names, email, phone, custom fields, lead data, referral), their conversation(s)
// with labels, every message and private note in them, their attachments' details, the deletion
// requests about them, the audit entries that target them (`contact #<id>`) and what the Simulator
// keeps under their PSID — and the same JSON zipped with their attachment files. Nothing about
// anyone else: every query is bound to this contact's id. Messages are written a page at a time.
import type { Writable } from 'node:stream';
import type { Queryable } from '../core/db';
import { addAttachmentFiles, attachmentsJson } from './export-attachments';
import { labelsSql } from './export-full';
import { columnsOf, jsonArray, jsonArrayOfPages, jsonObjectSql, jsonPages, onePage, type Row } from './export-format';
import { once, ZipStream } from './export-zip';

export interface PersonContact {
  id: number;
  psid: string;
  [column: string]: unknown;
}

export function findContact(db: Queryable, id: number): Promise<PersonContact | undefined> {
  return db.get<PersonContact>('SELECT * FROM contacts WHERE id = ?', [id]);
}

/** How the audit log names a person: an id, never a name. */
export const auditTarget = (contactId: number) => `contact #${contactId}`;

const ALL = Number.MAX_SAFE_INTEGER;

/** The person's conversation: there is at most one per person (one Messenger thread). */
async function conversationOf(db: Queryable, contactId: number): Promise<number | undefined> {
  return (await db.get<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [contactId]))?.id;
}

/**
 * Every message and note of the conversation in id order, a page at a time. A page's ids come from
 * the conversation's index alone (sorted there), and only their rows are read: a long thread costs
 * index entries, not whole rows, per page.
 */
async function* messagesOf(db: Queryable, conversationId: number): AsyncGenerator<string> {
  const json = jsonObjectSql('x', await columnsOf(db, 'messages'));
  const pages = jsonPages(
    db,
    `SELECT x.id AS id, ${json} AS j FROM messages x WHERE x.id IN
       (SELECT id FROM messages WHERE conversation_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?)`,
    [conversationId],
    ALL,
    ',\n',
  );
  yield* jsonArrayOfPages(pages);
}

/** The person's JSON document, in chunks. */
export async function* personJson(db: Queryable, contact: PersonContact, now = new Date()): AsyncGenerator<string | Buffer> {
  const conversation = await conversationOf(db, contact.id);
  yield `{\n"format": "chatx-person-export",\n"version": 1,\n"exported_at": ${JSON.stringify(now.toISOString())},\n`;
  yield `"contact": ${JSON.stringify(contact)},\n"conversations": `;
  const rows = await db.all<Row>(
    `SELECT c.*, ${labelsSql('c')} AS labels FROM conversations c WHERE c.contact_id = ? ORDER BY c.id`,
    [contact.id],
  );
  yield* jsonArray(onePage(Promise.resolve(rows)), (r) => ({ ...r, labels: JSON.parse(String(r.labels)) as unknown }));
  yield ',\n"messages": ';
  yield* conversation === undefined ? once('[]\n') : messagesOf(db, conversation);
  yield ',\n"attachments": ';
  yield* conversation === undefined ? once('[]\n') : attachmentsJson(db, { conversationId: conversation, upTo: ALL }, new Map());
  yield ',\n"ai_drafts": ';
  yield* jsonArray(onePage(db.all<Row>('SELECT * FROM ai_drafts WHERE conversation_id = ?', [conversation ?? -1])), (r) => r);
  yield ',\n"ai_calls": ';
  yield* jsonArray(
    onePage(
      db.all<Row>(
        'SELECT at, purpose, provider, model, input_tokens, output_tokens, ok FROM ai_calls WHERE conversation_id = ? ORDER BY id',
        [conversation ?? -1],
      ),
    ),
    (r) => r,
  );
  yield ',\n"deletion_requests": ';
  yield* jsonArray(
    onePage(db.all<Row>('SELECT * FROM deletion_requests WHERE contact_id = ? ORDER BY id', [contact.id])),
    (r) => r,
  );
  yield ',\n"audit_log": ';
  yield* jsonArray(
    onePage(db.all<Row>('SELECT * FROM audit_log WHERE target = ? ORDER BY id', [auditTarget(contact.id)])),
    (r) => r,
  );
  // In sandbox mode the Simulator keeps the name it plays under the person's PSID.
  yield ',\n"settings": ';
  yield* jsonArray(
    onePage(db.all<Row>('SELECT key, value, updated_at FROM settings WHERE key = ?', [`sandbox.profile.${contact.psid}`])),
    (r) => r,
  );
  yield `}\n`;
}

const PERSON_README = `# Everything ChatX holds about one person

\`person.json\` is one JSON object: \`contact\` (their details as stored: Messenger id \`psid\`,
name, the name Messenger gave, email, phone, custom fields, lead stage and source, referral),
\`conversations\` (with label names), \`messages\` (every message in and out, and the private notes
staff wrote about them, \`kind\` = \`note\`), \`attachments\` (details; \`file\` names the file in this
ZIP that holds the bytes), \`ai_drafts\` (a reply the AI suggested and staff have not sent yet),
\`ai_calls\` (when the AI provider was asked about their conversation, by which model, how many
tokens; never the content), \`deletion_requests\` about them, \`audit_log\` (what was done to their
record, who and when) and \`settings\` (only what the Simulator keeps under their Messenger id).
Times are milliseconds since 1970-01-01 UTC. The files are under \`attachments/\`, named
\`<id>-<name>\`.
`;

/** The person's ZIP: README.md, person.json and their attachment files. */
export async function writePersonExport(db: Queryable, contact: PersonContact, sink: Writable, now = new Date()): Promise<void> {
  const zip = new ZipStream(sink, now);
  try {
    await zip.add('README.md', once(PERSON_README));
    await zip.add('person.json', personJson(db, contact, now));
    const conversation = await conversationOf(db, contact.id);
    if (conversation !== undefined) await addAttachmentFiles(zip, db, { conversationId: conversation, upTo: ALL });
    await zip.finish();
  } catch (err) {
    await zip.abort(err as Error);
    throw err;
  }
}
