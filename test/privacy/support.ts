// Shared by the backup, restore, key rotation and wipe tests: every table's rows, for comparing a
// database before and after; and opening a file the way any SQLCipher 4 tool would.
import sqlcipher from '@journeyapps/sqlcipher';
import { keyLiteral, type Queryable } from '../../src/core/db';

export type Tables = Record<string, unknown[]>;

const sortKey = (row: unknown) =>
  JSON.stringify(row, (_k, v: unknown) =>
    v && typeof v === 'object' && 'type' in v && v.type === 'Buffer' ? `blob:${JSON.stringify(v)}` : v,
  );

/** Every table's rows (FTS shadow tables and sqlite_sequence included), sorted by their content. */
export async function tablesOf(db: Queryable): Promise<Tables> {
  const names = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  const out: Tables = {};
  for (const { name } of names) {
    const rows = await db.all(`SELECT * FROM "${name.replace(/"/g, '""')}"`);
    out[name] = rows
      .map((row) => [sortKey(row), row] as const)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, row]) => row);
  }
  return out;
}

/**
 * Opens `file` as any SQLCipher 4 tool would (default settings), keyed with `passphrase` or with
 * no key at all, and reads the schema: the error's code when that fails, else what the file holds.
 */
export async function openLikeATool(
  file: string,
  passphrase: string | undefined,
): Promise<{ error?: string; tables?: number; pageSize?: string; kdfIter?: string }> {
  const db = await new Promise<sqlcipher.Database>((resolve, reject) => {
    const d: sqlcipher.Database = new sqlcipher.Database(file, sqlcipher.OPEN_READONLY, (err: Error | null) =>
      err ? reject(err) : resolve(d),
    );
  });
  const all = (sql: string) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) =>
      db.all(sql, (err: Error | null, rows: Record<string, unknown>[]) => (err ? reject(err) : resolve(rows))),
    );
  try {
    await all('PRAGMA cipher_log_level = NONE');
    if (passphrase !== undefined) await all(`PRAGMA key = ${keyLiteral(passphrase)}`);
    const [{ n }] = await all('SELECT count(*) AS n FROM sqlite_master');
    const [{ cipher_page_size }] = await all('PRAGMA cipher_page_size');
    const [{ kdf_iter }] = await all('PRAGMA kdf_iter');
    return { tables: Number(n), pageSize: String(cipher_page_size), kdfIter: String(kdf_iter) };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? (err as Error).message };
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}
