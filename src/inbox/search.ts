// Full-text search over messages (notes included) and contact names, on the FTS5 indexes of
// migrations/0003_search.sql. User input never reaches MATCH as syntax: it is turned into quoted
// phrases, and snippets are built from sentinel characters so message text is always escaped.
import type { Queryable } from '../core/db';

export interface MessageHit {
  conversationId: number;
  messageId: number;
  contactName: string | null;
  psid: string;
  kind: 'message' | 'note' | 'postback';
  direction: 'in' | 'out';
  /** Safe HTML: the text around the match, escaped, with the matched words in <mark>. */
  snippet: string;
  createdAt: number;
}

export interface ContactHit {
  conversationId: number;
  contactId: number;
  contactName: string | null;
  psid: string;
  /** Safe HTML: the name, escaped, with the matched words in <mark>. */
  nameHtml: string;
  lastMessageAt: number | null;
}

const MAX_TERMS = 8;
const MAX_TERM_CHARS = 64;
// Marks FTS5 puts around each matched phrase; control characters, so no tokenizer keeps them.
const OPEN = '\u0001';
const CLOSE = '\u0002';

/**
 * Turns what a person typed into an FTS5 query that is always valid: each whitespace-separated word
 * becomes a quoted phrase (so `OR`, `NEAR(`, `-`, `*` and `"` are just text), all of them must match,
 * and the last one matches as a prefix, for search-as-you-type. Returns undefined when nothing
 * searchable is left (empty input, or punctuation only).
 */
export function ftsQuery(input: string): string | undefined {
  const words = input
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .split(/\s+/)
    // A word without a letter or digit has no tokens, and an empty phrase matches nothing.
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, MAX_TERMS)
    .map((w) => Array.from(w).slice(0, MAX_TERM_CHARS).join(''));
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w.replace(/"/g, '""')}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/**
 * Escapes a snippet and turns its sentinels into <mark> … </mark>. The sentinels are the only
 * markup: should the message itself contain one, it still yields balanced, harmless tags.
 */
export function highlightHtml(marked: string): string {
  let open = false;
  let html = '';
  for (const part of marked.split(/([\u0001\u0002])/)) {
    if (part === OPEN) {
      if (!open) html += '<mark>';
      open = true;
    } else if (part === CLOSE) {
      if (open) html += '</mark>';
      open = false;
    } else {
      html += escapeHtml(part);
    }
  }
  return open ? `${html}</mark>` : html;
}

export interface SearchOptions {
  limit?: number;
  offset?: number;
}

function page(options: SearchOptions): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 20), 1), 100);
  const offset = Math.min(Math.max(Math.trunc(options.offset ?? 0), 0), 10_000);
  return { limit, offset };
}

/**
 * Messages matching q, best first: by bm25, and among equal scores the newest (highest id, i.e.
 * latest stored) first. Ranking reads only the index; the joins and snippets are done for the
 * requested page alone, which keeps a common word fast on a million messages.
 */
export async function searchMessages(db: Queryable, q: string, options: SearchOptions = {}): Promise<MessageHit[]> {
  const match = ftsQuery(q);
  if (!match) return [];
  const { limit, offset } = page(options);
  const ranked = await db.all<{ id: number }>(
    'SELECT rowid AS id FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank, rowid DESC LIMIT ? OFFSET ?',
    [match, limit, offset],
  );
  if (ranked.length === 0) return [];
  const rows = await db.all<Omit<MessageHit, 'snippet'> & { marked: string | null }>(
    `SELECT m.id AS messageId, m.conversation_id AS conversationId, k.name AS contactName, k.psid, m.kind, m.direction,
            m.created_at AS createdAt, snippet(messages_fts, 0, char(1), char(2), '…', 16) AS marked
     FROM messages_fts
     JOIN messages m ON m.id = messages_fts.rowid
     JOIN conversations c ON c.id = m.conversation_id
     JOIN contacts k ON k.id = c.contact_id
     WHERE messages_fts MATCH ? AND messages_fts.rowid IN (SELECT value FROM json_each(?))`,
    [match, JSON.stringify(ranked.map((r) => r.id))],
  );
  const byId = new Map(rows.map((r) => [r.messageId, r]));
  return ranked.flatMap(({ id }) => {
    const row = byId.get(id);
    if (!row) return [];
    const { marked, ...hit } = row;
    return [{ ...hit, snippet: highlightHtml(marked ?? '') }];
  });
}

/** Contacts whose name matches q, best first, then the most recently active. */
export async function searchContacts(db: Queryable, q: string, options: SearchOptions = {}): Promise<ContactHit[]> {
  const match = ftsQuery(q);
  if (!match) return [];
  const { limit, offset } = page(options);
  const rows = await db.all<Omit<ContactHit, 'nameHtml'> & { marked: string | null }>(
    `SELECT k.id AS contactId, c.id AS conversationId, k.name AS contactName, k.psid, c.last_message_at AS lastMessageAt,
            highlight(contacts_fts, 0, char(1), char(2)) AS marked
     FROM contacts_fts
     JOIN contacts k ON k.id = contacts_fts.rowid
     JOIN conversations c ON c.contact_id = k.id
     WHERE contacts_fts MATCH ?
     ORDER BY contacts_fts.rank, c.last_message_at DESC, c.id DESC
     LIMIT ? OFFSET ?`,
    [match, limit, offset],
  );
  return rows.map(({ marked, ...hit }) => ({ ...hit, nameHtml: highlightHtml(marked ?? '') }));
}

/**
 * The WHERE fragment for the conversation list (`c` = conversations, `k` = contacts): the contact's
 * name or any of the conversation's messages matches q, or q is exactly the contact's PSID.
 */
export function conversationMatch(q: string): { sql: string; params: string[] } {
  const match = ftsQuery(q);
  if (!match) return { sql: 'k.psid = ?', params: [q] };
  return {
    sql: `(k.psid = ?
      OR k.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?)
      OR c.id IN (SELECT m.conversation_id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH ?))`,
    params: [q, match, match],
  };
}
