// What the business knows (opening hours, prices, delivery, FAQ, tone, what never to promise), as
// entries in the encrypted database; this file is the only writer of the knowledge table. Each reply
// retrieves only the entries that match the customer's words, ranked by FTS5 (bm25) over title and
// body, plus those marked "always" (tone, languages, rules). No vector store, nothing leaves the file.
// AI_KNOWLEDGE_FILE's sections are loaded at start as entries of source 'file', replacing the last load.
import fs from 'node:fs';
import type { Db, Queryable } from '../core/db';
import { badRequest } from '../core/errors';

export interface KnowledgeEntry {
  id: number;
  title: string;
  body: string;
  always: boolean;
  source: 'settings' | 'file';
  updated_at: number;
}

export const MAX_TITLE = 120;
export const MAX_BODY = 4000;
export const MAX_ENTRIES = 500;
/** Entries a prompt holds besides the "always" ones. */
const RETRIEVED = 4;

interface Row {
  id: number;
  title: string;
  body: string;
  always: number;
  source: 'settings' | 'file';
  updated_at: number;
}

const entry = (r: Row): KnowledgeEntry => ({ ...r, always: r.always === 1 });

export async function listKnowledge(db: Queryable): Promise<KnowledgeEntry[]> {
  const rows = await db.all<Row>(
    'SELECT id, title, body, always, source, updated_at FROM knowledge ORDER BY source DESC, title, id',
  );
  return rows.map(entry);
}

export function checkEntry(input: { title: string; body: string }): { title: string; body: string } {
  const title = input.title.trim().replace(/\s+/g, ' ');
  const body = input.body.trim();
  if (!title) throw badRequest('invalid-title', 'Give the entry a title (for example "Opening hours").');
  if (title.length > MAX_TITLE) throw badRequest('invalid-title', `Keep the title under ${MAX_TITLE} characters.`);
  if (!body) throw badRequest('invalid-body', 'Write what the assistant should know.');
  if (body.length > MAX_BODY) throw badRequest('invalid-body', `Keep an entry under ${MAX_BODY} characters; split it in two.`);
  return { title, body };
}

export async function addKnowledge(db: Queryable, input: { title: string; body: string; always: boolean }): Promise<number> {
  const { title, body } = checkEntry(input);
  const count = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM knowledge WHERE source = 'settings'");
  if ((count?.n ?? 0) >= MAX_ENTRIES) throw badRequest('too-many-entries', `Keep it to ${MAX_ENTRIES} entries.`);
  const now = Date.now();
  const { lastID } = await db.run(
    "INSERT INTO knowledge (title, body, always, source, created_at, updated_at) VALUES (?, ?, ?, 'settings', ?, ?)",
    [title, body, input.always ? 1 : 0, now, now],
  );
  return lastID;
}

export async function updateKnowledge(
  db: Queryable,
  id: number,
  input: { title: string; body: string; always: boolean },
): Promise<boolean> {
  const { title, body } = checkEntry(input);
  const { changes } = await db.run(
    "UPDATE knowledge SET title = ?, body = ?, always = ?, updated_at = ? WHERE id = ? AND source = 'settings'",
    [title, body, input.always ? 1 : 0, Date.now(), id],
  );
  return changes > 0;
}

export async function deleteKnowledge(db: Queryable, id: number): Promise<boolean> {
  const { changes } = await db.run("DELETE FROM knowledge WHERE id = ? AND source = 'settings'", [id]);
  return changes > 0;
}

/** The customer's words as an FTS5 query: each word quoted (no operators from input), any of them. */
export function matchQuery(text: string): string | undefined {
  const words = [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).slice(0, 40))];
  return words.length ? words.map((w) => `"${w}"`).join(' OR ') : undefined;
}

/** The entries for a prompt: the "always" ones, then up to four that best match `text`. */
export async function retrieveKnowledge(db: Queryable, text: string): Promise<KnowledgeEntry[]> {
  const always = (
    await db.all<Row>('SELECT id, title, body, always, source, updated_at FROM knowledge WHERE always = 1 ORDER BY id LIMIT 10')
  ).map(entry);
  const query = matchQuery(text);
  if (!query) return always;
  const matched = await db.all<Row>(
    `SELECT k.id, k.title, k.body, k.always, k.source, k.updated_at FROM knowledge_fts
     JOIN knowledge k ON k.id = knowledge_fts.rowid
     WHERE knowledge_fts MATCH ? AND k.always = 0 ORDER BY bm25(knowledge_fts, 3.0, 1.0) LIMIT ?`,
    [query, RETRIEVED],
  );
  return [...always, ...matched.map(entry)];
}

/**
 * A knowledge file's sections: split at Markdown headings (the heading is the title); text
 * without a heading is split at blank lines, its first line the title.
 */
export function fileSections(text: string): { title: string; body: string }[] {
  const sections: { title: string; body: string }[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let title: string | undefined;
  let body: string[] = [];
  const flush = () => {
    const content = body.join('\n').trim();
    if (title !== undefined) {
      if (content) sections.push({ title, body: content });
    } else {
      for (const paragraph of content.split(/\n\s*\n/)) {
        const p = paragraph.trim();
        if (!p) continue;
        const [first, ...rest] = p.split('\n');
        sections.push({ title: first!.slice(0, MAX_TITLE), body: rest.length ? rest.join('\n').trim() || first! : first! });
      }
    }
    body = [];
  };
  for (const line of lines) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      title = heading[1]!.trim().slice(0, MAX_TITLE) || 'Untitled';
    } else body.push(line);
  }
  flush();
  return sections.map((s) => ({ title: s.title, body: s.body.slice(0, MAX_BODY) }));
}

/** Replaces the entries loaded from the knowledge file by the file's current sections, at once. */
export async function loadKnowledgeFile(db: Db, file: string): Promise<number> {
  const sections = fileSections(fs.readFileSync(file, 'utf8')).slice(0, MAX_ENTRIES);
  const now = Date.now();
  await db.transaction(async (tx) => {
    await tx.run("DELETE FROM knowledge WHERE source = 'file'");
    for (const s of sections) {
      await tx.run("INSERT INTO knowledge (title, body, always, source, created_at, updated_at) VALUES (?, ?, 0, 'file', ?, ?)", [
        s.title,
        s.body,
        now,
        now,
      ]);
    }
  });
  return sections.length;
}
