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
const MIN_PREFIX_CHARS = 3;
// Marks FTS5 puts around each matched phrase; control characters, so no tokenizer keeps them.
const OPEN = '\u0001';
const CLOSE = '\u0002';

/**
 * Turns what a person typed into an FTS5 query that is always valid: each whitespace-separated word
 * becomes a quoted phrase (so `OR`, `NEAR(`, `-`, `*` and `"` are just text), all of them must match,
 * and the last one, when it has three characters or more, matches as a prefix (search-as-you-type;
 * "a" or "he" as a prefix would match nearly everything; the messages index keeps prefixes of 3 to
 * 8 characters). Returns undefined when nothing searchable is left (empty input, punctuation only).
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
  const last = words.length - 1;
  return words
    .map((w, i) => `"${w.replace(/"/g, '""')}"${i === last && Array.from(w).length >= MIN_PREFIX_CHARS ? '*' : ''}`)
    .join(' ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/**
 * Escapes a snippet and turns its sentinels into <mark> … </mark>. The sentinels are the only
 * markup: should the message itself contain one, it still yields balanced, harmless tags.
 */
export function highlightHtml(marked: string): string {
  let html = '';
  let text = '';
  let open = false;
  for (const ch of marked) {
    if (ch !== OPEN && ch !== CLOSE) {
      text += ch;
      continue;
    }
    html += escapeHtml(text);
    text = '';
    if (ch === OPEN && !open) html += '<mark>';
    if (ch === CLOSE && open) html += '</mark>';
    open = ch === OPEN;
  }
  html += escapeHtml(text);
  return open ? `${html}</mark>` : html;
}

export interface SearchOptions {
  limit?: number;
  offset?: number;
}

/**
 * Message hits are ranked among the newest MATCH_WINDOW matches only. Reading matches newest-first
 * costs the same for a rare word and for "hello" in every third message, whereas ranking every
 * match of a common word would read and score hundreds of thousands of rows; and in an inbox the
 * message someone looks for is almost always a recent one. A query that fills the window is told
 * (`windowFull`) so the page can suggest another word.
 */
export const MATCH_WINDOW = 1000;

function page(options: SearchOptions): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 20), 1), 100);
  const offset = Math.min(Math.max(Math.trunc(options.offset ?? 0), 0), MATCH_WINDOW);
  return { limit, offset };
}

export interface MessageResults {
  hits: MessageHit[];
  /** More matches ranked beyond this page. */
  more: boolean;
  /** The query matched more messages than are ranked (only the newest MATCH_WINDOW are). */
  windowFull: boolean;
}

/**
 * Messages (and notes) matching q, best first: by bm25, and among equal scores the newest (highest
 * id, i.e. latest stored) first. Ranking reads only the index; the joins and snippets are made for
 * the requested page alone.
 */
export async function searchMessagePage(db: Queryable, q: string, options: SearchOptions = {}): Promise<MessageResults> {
  const match = ftsQuery(q);
  if (!match) return { hits: [], more: false, windowFull: false };
  const { limit, offset } = page(options);
  const window = await db.all<{ id: number; score: number }>(
    'SELECT rowid AS id, bm25(messages_fts) AS score FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?',
    [match, MATCH_WINDOW + 1],
  );
  const windowFull = window.length > MATCH_WINDOW;
  const ranked = window
    .slice(0, MATCH_WINDOW)
    .sort((a, b) => a.score - b.score || b.id - a.id)
    .slice(offset, offset + limit);
  const more = Math.min(window.length, MATCH_WINDOW) > offset + limit;
  if (ranked.length === 0) return { hits: [], more: false, windowFull };
  // Snippets for this page only. The rowid range plus `+rowid IN` (the + keeps SQLite from handing
  // FTS5 one rowid lookup per id) evaluates the query once: each FTS5 lookup would otherwise redo
  // it, and a prefix query re-merges every matching word's doclist each time.
  const ids = ranked.map((r) => r.id);
  const rows = await db.all<Omit<MessageHit, 'snippet'> & { marked: string | null }>(
    `SELECT m.id AS messageId, m.conversation_id AS conversationId, k.name AS contactName, k.psid, m.kind, m.direction,
            m.created_at AS createdAt, f.marked
     FROM (SELECT rowid AS id, snippet(messages_fts, 0, char(1), char(2), '…', 16) AS marked FROM messages_fts
           WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?))) f
     JOIN messages m ON m.id = f.id
     JOIN conversations c ON c.id = m.conversation_id
     JOIN contacts k ON k.id = c.contact_id`,
    [match, Math.min(...ids), Math.max(...ids), JSON.stringify(ids)],
  );
  const byId = new Map(rows.map((r) => [r.messageId, r]));
  const hits = ranked.flatMap(({ id }) => {
    const row = byId.get(id);
    if (!row) return [];
    const { marked, ...hit } = row;
    return [{ ...hit, snippet: highlightHtml(marked ?? '') }];
  });
  return { hits, more, windowFull };
}

export async function searchMessages(db: Queryable, q: string, options: SearchOptions = {}): Promise<MessageHit[]> {
  return (await searchMessagePage(db, q, options)).hits;
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
 * name matches q, or q is exactly the contact's PSID, or the conversation has one of the newest
 * MATCH_WINDOW messages matching q. That is exact for any word with fewer matches, and bounded for
 * a word like "hello", whose every match would otherwise be looked up (hundreds of thousands).
 */
export function conversationMatch(q: string): { sql: string; params: (string | number)[] } {
  const match = ftsQuery(q);
  if (!match) return { sql: 'k.psid = ?', params: [q] };
  return {
    sql: `(k.psid = ?
      OR k.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?)
      OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.id IN
           (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?)))`,
    params: [q, match, match, MATCH_WINDOW],
  };
}
