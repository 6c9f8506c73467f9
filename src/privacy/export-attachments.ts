// Attachments in an export: their bytes as files under attachments/, and their details as JSON.
// The bytes are read one file at a time, when the file's turn in the ZIP comes. An attachment's
// `created_at` column comes after its bytes in the row, and SQLite reaches it only by walking every
// overflow page of the blob (each decrypted): so the details are written after the files, taking
// `created_at` from the same read as the bytes instead of reading every blob twice.
import type { Param, Queryable } from '../core/db';
import { attachmentPath, jsonArray, keyset, worthCompressing, type OnRows, type Row } from './export-format';
import { once, type ZipStream } from './export-zip';

/** Which attachments: all of them, or those of one conversation. */
export interface AttachmentScope {
  conversationId?: number;
  /** The largest id when the export began. */
  upTo: number;
}

function where(scope: AttachmentScope): [string, Param[]] {
  return scope.conversationId === undefined ? ['', []] : ['m.conversation_id = ? AND', [scope.conversationId]];
}

/** created_at of the files written so far, by attachment id. */
export type FileTimes = Map<number, number>;

async function fileBytes(db: Queryable, id: number, times: FileTimes): Promise<Buffer> {
  const row = await db.get<{ data: Buffer | null; created_at: number }>('SELECT data, created_at FROM attachments WHERE id = ?', [
    id,
  ]);
  if (row) times.set(id, row.created_at);
  return row?.data ?? Buffer.alloc(0);
}

/** Adds each stored attachment's bytes as `attachments/<id>-<name>`; returns their created_at. */
export async function addAttachmentFiles(
  zip: ZipStream,
  db: Queryable,
  scope: AttachmentScope,
  onFile?: () => void,
  times: FileTimes = new Map(),
): Promise<FileTimes> {
  const [filter, params] = where(scope);
  for await (const files of keyset<Row & { id: number }>(
    db,
    `SELECT a.id, a.name, a.title, a.type, a.content_type FROM attachments a JOIN messages m ON m.id = a.message_id
     WHERE ${filter} a.state = 'stored' AND a.data IS NOT NULL AND a.id > ? AND a.id <= ? ORDER BY a.id LIMIT ?`,
    params,
    scope.upTo,
    200,
  ))
    for (const file of files) {
      await zip.add(attachmentPath(file), once(fileBytes(db, file.id, times)), { compress: worthCompressing(file.content_type) });
      onFile?.();
    }
  return times;
}

/** The details of every attachment in scope; `file` names its bytes in the ZIP (null when none are stored). */
export async function* attachmentsJson(
  db: Queryable,
  scope: AttachmentScope,
  times: FileTimes,
  onRows?: OnRows,
): AsyncGenerator<string> {
  const [filter, params] = where(scope);
  // typeof() and `IS NULL` in a condition read only the row's header (a bare `data IS NOT NULL` as a
  // result column loads the whole blob), so a row with bytes never reaches its created_at here.
  const pages = keyset<Row & { id: number }>(
    db,
    `SELECT a.id, a.message_id, m.conversation_id, a.type, a.state, a.name, a.title, a.sticker_id, a.content_type,
            a.size, a.source_url, CASE WHEN a.data IS NULL THEN a.created_at END AS created_at,
            (a.state = 'stored' AND typeof(a.data) <> 'null') AS has_file
     FROM attachments a JOIN messages m ON m.id = a.message_id
     WHERE ${filter} a.id > ? AND a.id <= ? ORDER BY a.id LIMIT ?`,
    params,
    scope.upTo,
  );
  async function* withTimes(): AsyncGenerator<Row[]> {
    for await (const rows of pages) {
      // Files not written in this export (a person's JSON comes before their files): read here.
      const missing = rows.filter((r) => r.has_file && !times.has(r.id)).map((r) => r.id);
      if (missing.length)
        for (const r of await db.all<{ id: number; created_at: number }>(
          'SELECT id, created_at FROM attachments WHERE id IN (SELECT value FROM json_each(?))',
          [JSON.stringify(missing)],
        ))
          times.set(r.id, r.created_at);
      yield rows.map(({ has_file: hasFile, ...row }) => ({
        ...row,
        created_at: row.created_at ?? times.get(row.id as number) ?? null,
        file: hasFile ? attachmentPath(row as { id: number }) : null,
      }));
    }
  }
  yield* jsonArray(withTimes(), (r) => r, onRows);
}
