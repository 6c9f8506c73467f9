// The CLI's backup, restore, rekey and wipe (cli.ts parses the options). A backup may be made while
// the server runs (a connection of its own beside the server's); restore, rekey and wipe replace or
// re-encrypt the file, so they hold DATA_DIR's lock and refuse to run beside a server.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { prepareDataDir } from '../core/data-dir';
import { AppError } from '../core/errors';
import { lockDataDir } from '../core/instance-lock';
import { buildServices, databaseFile, type Services } from '../services';
import { backupsDir, sizeOf } from './backups';
import { wipeFiles, type Actor } from './vault';

const CLI: Actor = { actor: 'cli' };

async function withServices<T>(config: Config, fn: (services: Services) => Promise<T>): Promise<T> {
  const services = await buildServices(config);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** Holds DATA_DIR's lock around `fn`: a one-line refusal when the server (or another such command) runs. */
async function alone<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  prepareDataDir(config.dataDir);
  const lock = await lockDataDir(config.dataDir);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** A key from a file, read as DATABASE_KEY_FILE is: one trailing newline is not part of it. */
function readKeyFile(option: string, file: string): string {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError(400, 'key-file-unreadable', `${option} ${file} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  const key = content.replace(/\r?\n$/, '');
  if (key === '') throw new AppError(400, 'key-file-empty', `${option} ${file} is empty`);
  return key;
}

export function backupCommand(config: Config, out: string): Promise<number> {
  return withServices(config, async ({ vault }) => {
    const started = Date.now();
    const bytes = await vault.backupTo(out, CLI);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`Backed up ${databaseFile(config)} to ${path.resolve(out)} (${sizeOf(bytes)} in ${seconds} s).`);
    console.log(`It is encrypted: only ${vault.describeKey()} opens it. Restore it with: chatx restore --from ${out}`);
    return 0;
  });
}

export function restoreCommand(config: Config, from: string, keyFile: string | undefined): Promise<number> {
  const oldKey = keyFile === undefined ? undefined : readKeyFile('--key-file', keyFile);
  return alone(config, () =>
    withServices(config, async ({ vault }) => {
      const { savedAs } = await vault.restore(from, {
        actor: CLI,
        oldKey,
        keyHint: 'run restore again with --key-file FILE, FILE holding the key it was made with',
      });
      console.log(`Restored ${path.resolve(from)} into ${databaseFile(config)}.`);
      if (savedAs) console.log(`The database as it was is kept as ${path.join(backupsDir(config.dataDir), savedAs)}.`);
      console.log('Sessions are those of the backup: people signed in since it was made sign in again.');
      return 0;
    }),
  );
}

export function rekeyCommand(config: Config, newKeyFile: string | undefined): Promise<number> {
  const newKey = newKeyFile === undefined ? undefined : readKeyFile('--new-key-file', newKeyFile);
  return alone(config, () =>
    withServices(config, async ({ vault }) => {
      const rotation = await vault.rotateKey(newKey, CLI);
      console.log('The database is now encrypted with the new key; the old key no longer opens it.');
      if (rotation.keyFile) console.log(`The new key is in ${rotation.keyFile}.`);
      if (rotation.todo) console.log(rotation.todo);
      console.log('Backups made before keep the old key: keep the old key as long as you keep them.');
      if (rotation.generatedKey) {
        console.log('New key (shown once; keep a copy somewhere safe):');
        console.log(rotation.generatedKey);
      }
      return 0;
    }),
  );
}

export function wipeCommand(config: Config): Promise<number> {
  return alone(config, async () => {
    const file = databaseFile(config);
    const existed = fs.existsSync(file);
    const backups = wipeFiles(config.dataDir, file);
    if (!existed && backups === 0) console.log(`Nothing to wipe in ${config.dataDir}.`);
    else
      console.log(
        `Wiped ${config.dataDir}: the database and ${backups} backup${backups === 1 ? '' : 's'} are deleted. ` +
          'The next start begins at /setup.',
      );
    return 0;
  });
}
