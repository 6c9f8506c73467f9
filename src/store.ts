// Opens DATA_DIR/chatx.db with the configured key and brings its schema up to date.
// Shared by the server and the CLI.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { Db } from './core/db';
import { resolveDatabaseKey } from './core/key';
import { migrate } from './core/migrate';
import type { Deps } from './deps';

export function databaseFile(config: Config): string {
  return path.join(config.dataDir, 'chatx.db');
}

export async function openStore(config: Config): Promise<Deps> {
  // Files this process creates (the database, its WAL, backups, exports) are for its own user only.
  process.umask(0o077);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const databaseKey = resolveDatabaseKey(config);
  const db = await Db.open(databaseFile(config), databaseKey.passphrase);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return { config, db, databaseKey };
}
