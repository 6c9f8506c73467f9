// Which process works on a DATA_DIR: the server holds DATA_DIR/chatx.lock for as long as it runs,
// and the CLI commands that replace the database (restore, rekey, wipe) hold it for their work, so
// they refuse to run beside a server. The lock is SQLite's own: a plain (unencrypted, empty)
// SQLite file in exclusive locking mode keeps its write lock until the connection closes, and the
// operating system drops it when the process dies. No pid to go stale, no pid namespace to confuse
// (a `docker compose run` container sees the server's lock on the shared volume too).
// https://www.sqlite.org/pragma.html#pragma_locking_mode
import path from 'node:path';
import sqlcipher from '@journeyapps/sqlcipher';
import { AppError } from './errors';

export class DataDirBusyError extends AppError {
  constructor(dataDir: string) {
    super(409, 'chatx-running', `ChatX is running on ${dataDir}; stop ChatX first, or use the Privacy page`);
  }
}

export interface InstanceLock {
  release(): Promise<void>;
}

export function lockFile(dataDir: string): string {
  return path.join(dataDir, 'chatx.lock');
}

function exec(db: sqlcipher.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err: Error | null) => (err ? reject(err) : resolve())));
}

function close(db: sqlcipher.Database): Promise<void> {
  return new Promise((resolve) => db.close(() => resolve()));
}

/**
 * Takes the DATA_DIR's lock and holds it until release(); a DataDirBusyError when another process
 * holds it. Within one process the lock is not exclusive (POSIX locks belong to the process).
 */
export async function lockDataDir(dataDir: string): Promise<InstanceLock> {
  const db = await new Promise<sqlcipher.Database>((resolve, reject) => {
    const opened: sqlcipher.Database = new sqlcipher.Database(lockFile(dataDir), (err: Error | null) =>
      err ? reject(err) : resolve(opened),
    );
  });
  try {
    // busy_timeout 0: a held lock is an answer, not something to wait for.
    await exec(db, 'PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    await close(db);
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirBusyError(dataDir);
    throw err;
  }
  let released: Promise<void> | undefined;
  return { release: () => (released ??= close(db)) };
}
