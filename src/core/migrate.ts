// Applies migrations/NNNN_name.sql in order, each in its own transaction, and records it in
// schema_migrations. A failing migration rolls back and throws, which stops the start.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db';
import { log } from './log';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

export interface Migration {
  version: number;
  name: string;
  file: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .map((file) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2], file: path.join(dir, m[0]) }))
    .sort((a, b) => a.version - b.version);
}

/** The first line of a migration that rebuilds tables (see migrate). */
export const FOREIGN_KEYS_OFF = '-- migrate: foreign_keys off';

export class MigrationError extends Error {
  constructor(migration: Migration, cause: Error) {
    super(`migration ${path.basename(migration.file)} failed: ${cause.message}`);
    this.name = 'MigrationError';
  }
}

/** Returns the versions it applied (empty when the schema was already current). */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const applied: number[] = [];
  for (const migration of listMigrations(dir)) {
    if (done.has(migration.version)) continue;
    const sql = fs.readFileSync(migration.file, 'utf8');
    // A migration that rebuilds a table others point at says so on its first line: foreign keys
    // are off while it runs (dropping the old table must not cascade), which SQLite only allows
    // outside a transaction, and every reference is checked before it commits.
    // https://sqlite.org/lang_altertable.html#otheralter
    const rebuild = sql.startsWith(FOREIGN_KEYS_OFF);
    if (rebuild) await db.exec('PRAGMA foreign_keys = OFF');
    try {
      await db.transaction(async (tx) => {
        await tx.exec(sql);
        if (rebuild) {
          const broken = await tx.all<{ table: string }>('PRAGMA foreign_key_check');
          if (broken.length)
            throw new Error(`it leaves broken references in ${[...new Set(broken.map((b) => b.table))].join(', ')}`);
        }
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      });
    } catch (err) {
      throw new MigrationError(migration, err as Error);
    } finally {
      if (rebuild) await db.exec('PRAGMA foreign_keys = ON');
    }
    log.info('applied migration', { version: migration.version, name: migration.name });
    applied.push(migration.version);
  }
  return applied;
}
