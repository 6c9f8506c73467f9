// How exported rows are read and written: tables a page at a time in id order (keyset pagination:
// short statements, so no query holds a connection's queue or a snapshot of the database long), and
// the encodings of the export files — a JSON array, JSON Lines and CSV, each produced a page at a
// time as chunks for a streamed ZIP entry. Big tables are encoded as JSON by SQLite itself
// (jsonPages), which is several times faster than building JavaScript objects of their rows. Also
// the file names attachments get inside a ZIP.
import type { Param, Queryable } from '../core/db';

export type Row = Record<string, unknown>;

/**
 * Rows per query. A page of messages as JSON is some 150 KB; with pages of 2,000 rows the exporting
 * process peaked about 35 MB higher (bench/export.ts), and a query costs a fraction of a
 * millisecond, so a million messages in 2,000 queries lose little.
 */
export const PAGE_ROWS = 500;

/**
 * The rows of one query in id order, a page at a time. `sql` ends with three placeholders that this
 * fills: `… AND x.id > ? AND x.id <= ? ORDER BY x.id LIMIT ?` (after, up to, page size); `params`
 * come before them. `upTo` is the largest id when the export began: rows added since wait for the
 * next export, so the counts announced at the start hold.
 */
export async function* keyset<T extends { id: number }>(
  db: Queryable,
  sql: string,
  params: Param[],
  upTo: number,
  pageRows = PAGE_ROWS,
): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const rows = await db.all<T>(sql, [...params, after, upTo, pageRows]);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageRows) return;
    after = rows[rows.length - 1].id;
  }
}

/** A page of rows that SQLite has encoded as JSON itself, one object per row. */
export interface JsonPage {
  /** Rows in the page. */
  n: number;
  /** The page's last id. */
  last: number;
  /** The rows' JSON objects in id order, joined by the separator asked for. */
  body: string;
}

/**
 * Like keyset, but SQLite writes each row as JSON (json_object) and joins a page into one string:
 * handing a row to JavaScript costs about 2 µs per column, json_object a fraction of that, and a
 * page arrives as one value. `select` yields `id` and `j` (the row's JSON) and ends like keyset's.
 */
export async function* jsonPages(
  db: Queryable,
  select: string,
  params: Param[],
  upTo: number,
  separator: string,
  pageRows = PAGE_ROWS,
): AsyncGenerator<JsonPage> {
  let after = 0;
  for (;;) {
    const page = await db.get<JsonPage>(
      `SELECT count(*) AS n, max(id) AS last, group_concat(j, ? ORDER BY id) AS body FROM (${select})`,
      [separator, ...params, after, upTo, pageRows],
    );
    if (!page || page.n === 0) return;
    yield page;
    if (page.n < pageRows) return;
    after = page.last;
  }
}

/** The columns of a table as the schema has them now (a column a later migration adds is exported too). */
export async function columnsOf(db: Queryable, table: string): Promise<string[]> {
  return (await db.all<{ name: string }>('SELECT name FROM pragma_table_info(?) ORDER BY cid', [table])).map((c) => c.name);
}

/** `json_object('col', alias."col", …)`: names come from the schema (columnsOf), never from input. */
export function jsonObjectSql(alias: string, columns: string[], extra = ''): string {
  const pairs = columns.map((c) => `'${c.replace(/'/g, "''")}', ${alias}."${c.replace(/"/g, '""')}"`);
  return `json_object(${[...pairs, ...(extra ? [extra] : [])].join(', ')})`;
}

/** A JSON array from pages SQLite encoded (jsonPages with separator ',\n'). */
export async function* jsonArrayOfPages(pages: AsyncIterable<JsonPage>, onRows?: OnRows): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of pages) {
    yield `${first ? '\n' : ',\n'}${page.body}`;
    first = false;
    onRows?.(page.n);
  }
  yield first ? ']\n' : '\n]\n';
}

/** JSON Lines (https://jsonlines.org, one object per line) from pages SQLite encoded (jsonPages, separator '\n'). */
export async function* jsonLinesOfPages(pages: AsyncIterable<JsonPage>, onRows?: OnRows): AsyncGenerator<string> {
  for await (const page of pages) {
    yield `${page.body}\n`;
    onRows?.(page.n);
  }
}

/** Rows already at hand (a small table read in one query), as pages. */
export async function* onePage<T>(rows: Promise<T[]>): AsyncGenerator<T[]> {
  const all = await rows;
  if (all.length) yield all;
}

type Pages<T> = AsyncIterable<T[]>;
/** Told how many rows went out with each chunk: the progress of the export. */
export type OnRows = (rows: number) => void;

/** A JSON array of objects, one per line, written a page at a time. */
export async function* jsonArray<T>(pages: Pages<T>, shape: (row: T) => unknown, onRows?: OnRows): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const rows of pages) {
    const body = rows.map((r) => JSON.stringify(shape(r))).join(',\n');
    yield `${first ? '\n' : ',\n'}${body}`;
    first = false;
    onRows?.(rows.length);
  }
  yield first ? ']\n' : '\n]\n';
}

export interface CsvColumn<T> {
  name: string;
  value(row: T): string | number | null | undefined;
}

/**
 * A text cell a spreadsheet would run as a formula (it starts with = + - @, or a tab or carriage
 * return that some programs skip first) gets a leading apostrophe, which shows as text
 * (OWASP, "CSV Injection"). Numbers are written as they are.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row and CRLF line ends, a page at a time. */
export async function* csv<T>(columns: CsvColumn<T>[], pages: Pages<T>, onRows?: OnRows): AsyncGenerator<string> {
  yield `${columns.map((c) => csvCell(c.name)).join(',')}\r\n`;
  for await (const rows of pages) {
    yield rows.map((r) => `${columns.map((c) => csvCell(c.value(r))).join(',')}\r\n`).join('');
    onRows?.(rows.length);
  }
}

/** An epoch-ms time as ISO 8601 UTC (how CSV cells show times); empty when there is none. */
export function isoTime(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'video/mp4': '.mp4',
  'audio/mpeg': '.mp3',
  'audio/mp4': '.m4a',
  'application/pdf': '.pdf',
  'text/plain': '.txt',
};

/**
 * `attachments/<id>-<name>`: the name a customer or staff member gave the file, made safe to unpack
 * anywhere — no folders, no control or reserved characters, no leading dot, at most 100 characters
 * (keeping the extension) — and the id first, so two files of the same name never collide.
 */
export function attachmentPath(file: {
  id: number;
  name?: unknown;
  title?: unknown;
  type?: unknown;
  content_type?: unknown;
}): string {
  const given = [file.name, file.title, file.type].find((v): v is string => typeof v === 'string' && v.trim() !== '') ?? 'file';
  let name = given
    .normalize('NFC')
    // Control characters and the invisible direction marks that make "gnp.exe" read as "exe.png".
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '');
  if (!/\.[A-Za-z0-9]{1,8}$/.test(name)) name += EXTENSIONS[String(file.content_type ?? '').toLowerCase()] ?? '';
  const chars = [...name];
  if (chars.length > 100) {
    const ext = /\.[A-Za-z0-9]{1,8}$/.exec(name)?.[0] ?? '';
    name = chars.slice(0, 100 - ext.length).join('') + ext;
  }
  return `attachments/${file.id}-${name || 'file'}`;
}

/** Types that are compressed already: deflating them again costs time and saves nothing. */
export function worthCompressing(contentType: unknown): boolean {
  const type = String(contentType ?? '').toLowerCase();
  return !/^(image\/(jpeg|png|gif|webp)|video\/|audio\/(mpeg|mp4|aac|ogg|webm)|application\/(zip|gzip|pdf))/.test(type);
}
