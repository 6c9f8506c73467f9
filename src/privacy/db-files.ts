// Whole database files: an encrypted copy of the live database made while it serves (VACUUM INTO),
// checking a file before it is trusted, re-encrypting one under another key, and replacing files so
// that nobody ever finds half of one (written under a temporary name, synced, then renamed).
// The SQLCipher facts behind this are in docs/sqlcipher.md, "Backups and copies".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sqlcipher from '@journeyapps/sqlcipher';
import { Db, DatabaseKeyError, keyLiteral } from '../core/db';
import { AppError } from '../core/errors';
import { listMigrations, migrate } from '../core/migrate';

/** A temporary name beside `file` (same folder, so the final rename is atomic), hidden from listings. */
export function temporaryName(file: string, purpose: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${purpose}-${crypto.randomBytes(4).toString('hex')}`);
}

/** Makes a rename or unlink in `dir` survive a power cut. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `content` to `file` (mode 0600) so that `file` holds either the old or the new content, never a part. */
export function writeFileAtomic(file: string, content: string): void {
  const temp = temporaryName(file, 'writing');
  try {
    fs.writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    syncFile(temp);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  syncDir(path.dirname(file));
}

function rawOpen(file: string, mode: number): Promise<sqlcipher.Database> {
  return new Promise((resolve, reject) => {
    const db: sqlcipher.Database = new sqlcipher.Database(file, mode, (err: Error | null) => (err ? reject(err) : resolve(db)));
  });
}

function rawExec(db: sqlcipher.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err: Error | null) => (err ? reject(err) : resolve())));
}

function rawClose(db: sqlcipher.Database): Promise<void> {
  return new Promise((resolve) => db.close(() => resolve()));
}

/**
 * Opens `file` on a connection of its own, keys it with `passphrase` and reads the schema: a
 * DatabaseKeyError when the key does not open it (docs/sqlcipher.md, Opening a database with a key).
 * Then runs `work` on the keyed connection, and closes it. Writes nothing unless `work` does.
 */
async function withKeyed<T>(file: string, passphrase: string, writable: boolean, work: (db: sqlcipher.Database) => Promise<T>) {
  const db = await rawOpen(file, writable ? sqlcipher.OPEN_READWRITE : sqlcipher.OPEN_READONLY);
  try {
    await rawExec(db, 'PRAGMA cipher_log_level = NONE');
    await rawExec(db, `PRAGMA key = ${keyLiteral(passphrase)}`);
    try {
      await rawExec(db, 'SELECT count(*) FROM sqlite_master');
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new DatabaseKeyError(file);
      throw err;
    }
    return await work(db);
  } finally {
    await rawClose(db);
  }
}

/** Resolves when `passphrase` opens the SQLCipher file `file` (read-only); a DatabaseKeyError when not. */
export function assertOpens(file: string, passphrase: string): Promise<void> {
  return withKeyed(file, passphrase, false, async () => undefined);
}

/** Re-encrypts `file` in place from `oldKey` to `newKey` (PRAGMA rekey; a failed rekey rolls back). */
export function reencrypt(file: string, oldKey: string, newKey: string): Promise<void> {
  return withKeyed(file, oldKey, true, (db) => rawExec(db, `PRAGMA rekey = ${keyLiteral(newKey)}`));
}

/**
 * Writes an encrypted, consistent copy of the live database at `source` to `out` and returns its
 * size. VACUUM INTO runs as one read transaction on a connection of its own, so the copy is the
 * database as of one commit while the server's connections go on reading and writing (WAL). Its
 * target is attached without a key, and SQLCipher then gives it the main database's key: the copy
 * opens with the same passphrase and default SQLCipher 4 settings, which is checked before the
 * copy gets its name. (The SQLite online backup API refuses an encrypted source and a new file.)
 */
export async function copyDatabase(source: string, passphrase: string, out: string): Promise<number> {
  const temp = temporaryName(out, 'partial');
  try {
    const conn = await Db.open(source, passphrase);
    try {
      await conn.run('VACUUM INTO ?', [temp]);
    } finally {
      await conn.close();
    }
    fs.chmodSync(temp, 0o600);
    await assertOpens(temp, passphrase);
    syncFile(temp);
    fs.renameSync(temp, out);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  syncDir(path.dirname(out));
  return fs.statSync(out).size;
}

/**
 * Makes `file` (a copy about to replace the live database, already under the current key) ready:
 * it must be intact (PRAGMA quick_check) and a ChatX database of this version or older, and it is
 * migrated to the current schema here, before the swap, so a failing migration changes nothing.
 */
export async function prepareForRestore(file: string, passphrase: string, shownAs: string): Promise<void> {
  const db = await Db.open(file, passphrase);
  try {
    const check = await db.all<{ quick_check: string }>('PRAGMA quick_check');
    if (check.length !== 1 || check[0].quick_check !== 'ok')
      throw new AppError(
        422,
        'backup-damaged',
        `${shownAs} is damaged (SQLite's integrity check failed); choose another backup.`,
      );
    const isChatx = await db.get("SELECT 1 AS yes FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
    if (!isChatx) throw new AppError(422, 'not-a-backup', `${shownAs} opens, but is not a ChatX database.`);
    const newest = await db.get<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const known = Math.max(0, ...listMigrations().map((m) => m.version));
    if ((newest?.version ?? 0) > known)
      throw new AppError(
        422,
        'backup-too-new',
        `${shownAs} comes from a newer version of ChatX (schema ${newest?.version}); update ChatX before restoring it.`,
      );
    await migrate(db);
  } finally {
    await db.close();
  }
}

/** The database file and what SQLite keeps beside it. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
}
