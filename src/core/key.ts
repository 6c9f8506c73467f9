// Where the SQLCipher passphrase comes from: DATABASE_KEY / DATABASE_KEY_FILE, or else a random key
// generated once into DATA_DIR/db.key (mode 0600). The last case is convenient but leaves the key
// beside the data, so it is logged as a warning and shown to the owner in the UI.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { log } from './log';

export interface DatabaseKey {
  passphrase: string;
  source: Config['databaseKeySource'];
  /** Set when the key lives in DATA_DIR/db.key. */
  file?: string;
}

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, 'db.key');
}

export function resolveDatabaseKey(config: Config): DatabaseKey {
  if (config.databaseKey !== undefined) return { passphrase: config.databaseKey, source: config.databaseKeySource };
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = keyFilePath(config.dataDir);
  if (fs.existsSync(file)) {
    const passphrase = fs.readFileSync(file, 'utf8').trim();
    if (passphrase === '') throw new Error(`${file} is empty; restore the key or set DATABASE_KEY`);
    log.warn('the database key is read from a file beside the data; move it into a secret (see README)', { file });
    return { passphrase, source: 'generated', file };
  }
  if (fs.existsSync(path.join(config.dataDir, 'chatx.db'))) {
    throw new Error(
      `${path.join(config.dataDir, 'chatx.db')} exists but no key was given; set DATABASE_KEY or DATABASE_KEY_FILE`,
    );
  }
  const passphrase = crypto.randomBytes(32).toString('hex');
  // 'wx' fails if another process created it meanwhile, rather than overwriting a live key.
  fs.writeFileSync(file, passphrase + '\n', { mode: 0o600, flag: 'wx' });
  log.warn('generated a new database key beside the data; move it into a secret (see README)', { file });
  return { passphrase, source: 'generated', file };
}
