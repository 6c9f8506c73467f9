// Two people for the export tests, written through the real paths (the signed webhook, the outbox,
// the workflow): Ana, with a label, a private note, a PDF sent to her and an audit entry about her;
// and Bruno, whose Messenger name a spreadsheet would run as a formula, with a deletion request.
// Plus the secrets no export may hold, and a small CSV reader (RFC 4180) to read the CSV files back.
import crypto from 'node:crypto';
import type request from 'supertest';
import type { Db } from '../../src/core/db';
import { audit } from '../../src/privacy/audit';
import { setSetting } from '../../src/settings/store';
import { customerWrites, type InboxContext } from '../inbox/support';

export const ANA = { psid: '4100000000000001', name: 'Ana "Nana" Lima, Jr.', text: 'Is my order ready? Ana here' };
export const BRUNO = {
  psid: '4100000000000002',
  name: '=HYPERLINK("http://evil.example","click")',
  text: 'Bruno asks about bikes',
};
export const NOTE = 'Private note: Ana prefers pickup on Fridays';
export const PDF = Buffer.from('%PDF-1.4\n% the menu for Ana\n\u00ff\u0000binary', 'latin1');
export const APP_SECRET_VALUE = 'app-secret-that-must-never-leave';

export interface People {
  ana: { contactId: number; conversationId: number; attachmentId: number };
  bruno: { contactId: number; conversationId: number };
  /** Values that open doors: settings secrets, password hashes, session ids. */
  secrets: string[];
}

export async function twoPeople(ctx: InboxContext): Promise<People> {
  const { db } = ctx.deps;
  // In sandbox mode the profile lookup reads the name the Simulator registered.
  await setSetting(db, `sandbox.profile.${ANA.psid}`, ANA.name);
  await setSetting(db, `sandbox.profile.${BRUNO.psid}`, BRUNO.name);
  const anaConversation = await customerWrites(ctx, ANA.psid, ANA.text);
  const brunoConversation = await customerWrites(ctx, BRUNO.psid, BRUNO.text);
  await ctx.deps.workflow.addLabel(anaConversation, 'vip');
  await ctx.deps.workflow.addNote(anaConversation, ctx.ownerId, NOTE);
  const { id: fileMessage } = await ctx.deps.outbox.queue({
    conversationId: anaConversation,
    files: [{ name: 'menu/../../etc.pdf', contentType: 'application/pdf', data: PDF }],
    sentBy: 'user',
    userId: ctx.ownerId,
  });
  const attachment = (await db.get<{ id: number }>('SELECT id FROM attachments WHERE message_id = ?', [fileMessage]))!;
  const idOf = async (psid: string) => (await db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [psid]))!.id;
  const ana = await idOf(ANA.psid);
  const bruno = await idOf(BRUNO.psid);
  await db.run("UPDATE contacts SET phone = '+49 30 1234567', email = 'ana@example.com' WHERE id = ?", [ana]);
  await audit(db, {
    actor: 'owner@example.com',
    action: 'contact.corrected',
    target: `contact #${ana}`,
    detail: { fields: ['phone'] },
  });
  await audit(db, { actor: 'owner@example.com', action: 'contact.corrected', target: `contact #${bruno}` });
  // An id that starts with Ana's: must not count as hers.
  await audit(db, { actor: 'owner@example.com', action: 'contact.corrected', target: `contact #${ana}0` });
  await db.run(
    `INSERT INTO deletion_requests (code, contact_id, source, status, requested_at, deadline)
     VALUES ('BRUNO-CODE-1', ?, 'staff', 'pending', ?, ?)`,
    [bruno, Date.now(), Date.now() + 30 * 24 * 3600 * 1000],
  );
  // Written after the webhooks, so the channel (which has read the sandbox secret) keeps signing as before.
  await setSetting(db, 'messenger.app_secret', APP_SECRET_VALUE);
  await db.run(
    "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ('session-hash-xyz', ?, 'csrf-abc-123', 0, 0, 0)",
    [ctx.ownerId],
  );
  const settings = await db.all<{ value: string }>(
    "SELECT value FROM settings WHERE key IN ('messenger.app_secret', 'messenger.verify_token', 'messenger.sandbox_secret')",
  );
  const hashes = await db.all<{ password_hash: string }>('SELECT password_hash FROM users WHERE password_hash IS NOT NULL');
  return {
    ana: { contactId: ana, conversationId: anaConversation, attachmentId: attachment.id },
    bruno: { contactId: bruno, conversationId: brunoConversation },
    secrets: [...settings.map((s) => s.value), ...hashes.map((h) => h.password_hash), 'session-hash-xyz', 'csrf-abc-123'],
  };
}

/** RFC 4180: rows of cells; quoted cells may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) throw new Error('the CSV does not end with CRLF');
  return rows;
}

/** The rows of a CSV as objects keyed by its header. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/** supertest keeps a binary body (a ZIP) as a Buffer only when told how: `.buffer(true).parse(binary)`. */
export function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Messages straight into one conversation, many per statement (seeding only). */
export async function seedMessages(db: Db, conversationId: number, count: number): Promise<void> {
  await db.transaction(async (tx) => {
    for (let start = 0; start < count; start += 500) {
      const n = Math.min(500, count - start);
      // Random words, so the text compresses about as little as real messages do.
      const rows = Array.from({ length: n }, () => [conversationId, crypto.randomBytes(30).toString('base64'), Date.now()]);
      await tx.run(
        `INSERT INTO messages (conversation_id, direction, text, status, sent_by, created_at, received_at)
         VALUES ${rows.map(() => "(?, 'in', ?, 'received', 'contact', ?, ?)").join(',')}`,
        rows.flatMap(([c, t, at]) => [c, t, at, at]),
      );
    }
  });
}
