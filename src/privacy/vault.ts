// The database as a whole: encrypted backups (on demand and nightly, into DATA_DIR/backups, or to
// a file the CLI names), restore, key rotation and wipe, for the Privacy page and the CLI alike.
// One of these runs at a time. Restore, rotation and wipe change the file under the running
// server through services.ts reopen: it closes both connections (this one and the webhook writer
// thread's), runs the change while the file is free, and opens it again (migrated); requests that
// come meanwhile wait. Backups made before a key rotation keep the key they were made with.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { DatabaseKeyError, type Db } from '../core/db';
import { AppError } from '../core/errors';
import { keyFilePath, type DatabaseKey } from '../core/key';
import { log } from '../core/log';
import type { LiveHub } from '../inbox/live';
import type { Deletions } from './deletions';
import { audit, type AuditEntry } from './audit';
import { backupsDir, findBackup, listBackups, newBackupPath, pruneBackups, type Backup } from './backups';
import {
  assertOpens,
  copyDatabase,
  databaseFiles,
  prepareForRestore,
  reencrypt,
  syncDir,
  temporaryName,
  writeFileAtomic,
} from './db-files';

export type Actor = Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>;

export interface VaultOptions {
  config: Config;
  db: Db;
  key: DatabaseKey;
  live: LiveHub;
  /** A restore must not bring back people erased since the backup was made. */
  deletions: Pick<Deletions, 'tombstones' | 'reapply'>;
  /** services.ts reopen: close both connections, run `between`, open again with `passphrase`. */
  reopen(passphrase: string, between?: () => Promise<void>): Promise<void>;
}

export interface KeyRotation {
  source: DatabaseKey['source'];
  /** The new key when ChatX generated it, to be shown once; undefined when the owner chose it. */
  generatedKey?: string;
  /** Where the new key was written (DATA_DIR/db.key), when it was. */
  keyFile?: string;
  /** What the owner must change before the next start; undefined when nothing. */
  todo?: string;
}

const KEY_ROTATED = 'database.key-rotated';

export interface RestoreOptions {
  actor: Actor;
  /** The key the backup was made with, when it is not the current one (a key rotation since). */
  oldKey?: string;
  /** How to name the backup in messages (a name on the page, the path given to the CLI). */
  shownAs?: string;
  /** How to give the key a backup was made with, from where the restore was asked for. */
  keyHint: string;
}

/** A key the owner chose: long enough, and one that survives a key file and an environment variable. */
export function newKeyProblem(key: string): string | undefined {
  if (key.length < 16) return 'The new key must be at least 16 characters long.';
  if (key.length > 1000) return 'The new key must be at most 1,000 characters long.';
  if (key !== key.trim()) return 'The new key must not start or end with a space.';
  if (/\p{Cc}/u.test(key)) return 'The new key must not contain line breaks or control characters.';
  return undefined;
}

export class Vault {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: VaultOptions) {}

  private get file(): string {
    return this.options.db.file;
  }

  /** One operation at a time: a backup never reads a file that a restore is replacing. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  backups(): Backup[] {
    return listBackups(this.options.config.dataDir);
  }

  find(name: string): Backup | undefined {
    return findBackup(this.options.config.dataDir, name);
  }

  /** When the key was last rotated, as the audit log remembers it. */
  async keyRotatedAt(): Promise<number | undefined> {
    const row = await this.options.db.get<{ at: number | null }>('SELECT max(at) AS at FROM audit_log WHERE action = ?', [
      KEY_ROTATED,
    ]);
    return row?.at ?? undefined;
  }

  /** A new backup in DATA_DIR/backups. */
  backup(kind: 'manual' | 'nightly', actor: Actor): Promise<Backup> {
    return this.exclusive(async () => {
      const out = newBackupPath(this.options.config.dataDir, kind);
      const bytes = await copyDatabase(this.file, this.options.key.passphrase, out);
      await audit(this.options.db, {
        ...actor,
        action: 'database.backed-up',
        target: path.basename(out),
        detail: { kind, bytes },
      });
      return this.find(path.basename(out))!;
    });
  }

  /** A backup to a file of the caller's choosing (CLI `backup --out`); an existing file is replaced only once the copy is complete. */
  backupTo(out: string, actor: Actor): Promise<number> {
    const target = path.resolve(out);
    if (databaseFiles(this.file).includes(target))
      throw new AppError(400, 'backup-onto-database', `${out} is the live database; choose another file.`);
    if (!fs.statSync(path.dirname(target), { throwIfNoEntry: false })?.isDirectory())
      throw new AppError(400, 'no-such-folder', `the folder ${path.dirname(target)} does not exist.`);
    return this.exclusive(async () => {
      const bytes = await copyDatabase(this.file, this.options.key.passphrase, target);
      await audit(this.options.db, { ...actor, action: 'database.backed-up', target: path.basename(target), detail: { bytes } });
      return bytes;
    });
  }

  /** The nightly job: a backup, then only the newest BACKUP_KEEP nightly ones are kept (0: off). */
  async nightly(): Promise<void> {
    const keep = this.options.config.backupKeep;
    if (keep === 0) return;
    const made = await this.backup('nightly', { actor: 'system' });
    const removed = pruneBackups(this.options.config.dataDir, 'nightly', keep);
    log.info('nightly backup written', { name: made.name, bytes: made.bytes, removed: removed.length });
  }

  remove(name: string, actor: Actor): Promise<void> {
    return this.exclusive(async () => {
      const backup = this.find(name);
      if (!backup) return;
      fs.rmSync(backup.file, { force: true });
      await audit(this.options.db, { ...actor, action: 'database.backup-deleted', target: name });
    });
  }

  /**
   * Replaces the database with the backup at `source`. The file is copied, re-encrypted from
   * `oldKey` when given (a backup from before a key rotation), checked and migrated beside the live
   * database; only then are both connections closed and the copy renamed over the live file, so a
   * refusal or a failure leaves everything as it was. The database as it was is kept as a
   * before-restore backup (unless it holds no account and no contact: a fresh install or a wipe).
   */
  restore(source: string, options: RestoreOptions): Promise<{ savedAs?: string }> {
    const shownAs = options.shownAs ?? source;
    const refused = wrongKey(shownAs, options.keyHint);
    return this.exclusive(async () => {
      const from = path.resolve(source);
      const stat = fs.statSync(from, { throwIfNoEntry: false });
      if (!stat) throw new AppError(404, 'backup-missing', `${shownAs} does not exist.`);
      if (!stat.isFile()) throw new AppError(400, 'backup-not-a-file', `${shownAs} is not a file.`);
      if (databaseFiles(this.file).includes(from))
        throw new AppError(400, 'restore-from-database', `${shownAs} is the live database itself.`);
      if ((fs.statSync(`${from}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0)
        throw new AppError(
          422,
          'backup-has-wal',
          `${shownAs} has a write-ahead log beside it (${path.basename(from)}-wal): it is a copy of a running database, not a backup; make one with "chatx backup".`,
        );
      const current = this.options.key.passphrase;
      const temp = temporaryName(this.file, 'restoring');
      try {
        fs.copyFileSync(from, temp);
        fs.chmodSync(temp, 0o600);
        if (options.oldKey !== undefined) await reencrypt(temp, options.oldKey, current).catch(refused('the key you gave'));
        else await assertOpens(temp, current).catch(refused(this.describeKey()));
        await prepareForRestore(temp, current, shownAs);
        const savedAs = await this.keepCurrent();
        // The requests carried out so far, so that those erased since the backup stay erased.
        const tombstones = await this.options.deletions.tombstones();
        await this.options.reopen(current, async () => {
          for (const f of databaseFiles(this.file).slice(1)) fs.rmSync(f, { force: true });
          fs.renameSync(temp, this.file);
          syncDir(path.dirname(this.file));
        });
        const erasedAgain = await this.options.deletions.reapply(tombstones);
        // Sessions are now the backup's: streams of sessions it does not hold end.
        await this.options.live.checkSessions();
        // The restored database may not know the person who restored it: then only their name is kept.
        const known = await this.options.db.get('SELECT 1 AS yes FROM users WHERE id = ?', [options.actor.actorUserId ?? null]);
        await audit(this.options.db, {
          ...options.actor,
          actorUserId: known ? options.actor.actorUserId : null,
          action: 'database.restored',
          target: path.basename(from),
          detail: { savedAs, reencrypted: options.oldKey !== undefined, erasedAgain },
        });
        return { savedAs };
      } finally {
        for (const f of databaseFiles(temp)) fs.rmSync(f, { force: true });
      }
    });
  }

  /** A before-restore copy of the live database, unless it holds nothing to lose. */
  private async keepCurrent(): Promise<string | undefined> {
    const held = await this.options.db.get<{ yes: number }>(
      'SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM contacts) AS yes',
    );
    if (!held?.yes) return undefined;
    const out = newBackupPath(this.options.config.dataDir, 'before-restore');
    await copyDatabase(this.file, this.options.key.passphrase, out);
    return path.basename(out);
  }

  /** Where the current key comes from, in the words the owner knows it by. */
  describeKey(): string {
    const { key, config } = this.options;
    if (key.source === 'env') return 'the key in DATABASE_KEY';
    if (key.source === 'file') return `the key in DATABASE_KEY_FILE (${config.databaseKeyFile ?? 'its file'})`;
    return `the key in ${key.file ?? keyFilePath(config.dataDir)}`;
  }

  /**
   * Re-encrypts the database under `newKey` (or a generated one) with PRAGMA rekey while both
   * connections are closed; the server goes on with the new key. A key in DATA_DIR/db.key is
   * replaced there: the new key is written to db.key.next first and renamed over db.key once the
   * rekey has committed, so after a crash at any moment one of the two files opens the database.
   */
  rotateKey(newKey: string | undefined, actor: Actor): Promise<KeyRotation> {
    return this.exclusive(async () => {
      const { key, config } = this.options;
      const generated = newKey === undefined ? crypto.randomBytes(32).toString('hex') : undefined;
      const next = newKey ?? generated!;
      const problem = newKeyProblem(next);
      if (problem) throw new AppError(400, 'invalid-new-key', problem);
      if (next === key.passphrase) throw new AppError(400, 'same-key', 'The new key is the key in use; choose another.');
      const old = key.passphrase;
      const keyFile = key.source === 'generated' ? (key.file ?? keyFilePath(config.dataDir)) : undefined;
      const pending = keyFile && `${keyFile}.next`;
      if (pending) writeFileAtomic(pending, `${next}\n`);
      try {
        await this.options.reopen(next, () => reencrypt(this.file, old, next));
      } catch (err) {
        if (pending) fs.rmSync(pending, { force: true });
        throw err;
      }
      if (keyFile && pending) {
        fs.renameSync(pending, keyFile);
        syncDir(path.dirname(keyFile));
      }
      await audit(this.options.db, { ...actor, action: KEY_ROTATED, detail: { source: key.source } });
      const todo =
        key.source === 'env'
          ? 'Set DATABASE_KEY to the new key before ChatX starts again (in .env or wherever the environment is set).'
          : key.source === 'file'
            ? `Write the new key into ${config.databaseKeyFile ?? 'the DATABASE_KEY_FILE file'} (DATABASE_KEY_FILE) before ChatX starts again.`
            : undefined;
      return { source: key.source, generatedKey: generated, keyFile, todo };
    });
  }

  /**
   * Deletes the database (with its WAL) and every backup, and opens a new, empty database with the
   * same key: the next visitor sets up the owner again. Every session is gone with the database,
   * and every live stream ends.
   */
  wipe(actor: Actor): Promise<{ backupsDeleted: number }> {
    return this.exclusive(async () => {
      let backupsDeleted = 0;
      await this.options.reopen(this.options.key.passphrase, async () => {
        backupsDeleted = wipeFiles(this.options.config.dataDir, this.file);
      });
      await this.options.live.checkSessions();
      // The new database's first entry; who wiped is personal data, and everything else went with the wipe.
      await audit(this.options.db, { actor: actor.actorUserId ? 'owner' : actor.actor, action: 'database.wiped' });
      return { backupsDeleted };
    });
  }
}

/** Deletes the database file (and what SQLite keeps beside it) and DATA_DIR/backups; returns how many backups there were. */
export function wipeFiles(dataDir: string, file: string): number {
  const backups = listBackups(dataDir).length;
  for (const f of databaseFiles(file)) fs.rmSync(f, { force: true });
  fs.rmSync(backupsDir(dataDir), { recursive: true, force: true });
  syncDir(dataDir);
  return backups;
}

/** Turns a key that does not open the backup into one line: which key, and how to give the right one. */
function wrongKey(shownAs: string, hint: string) {
  return (whichKey: string) =>
    (err: unknown): never => {
      if (err instanceof DatabaseKeyError)
        throw new AppError(
          422,
          'backup-wrong-key',
          `${whichKey} does not open ${shownAs}; it was made with another key: ${hint}.`,
        );
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
        throw new AppError(422, 'not-a-backup', `${shownAs} is not a ChatX database.`);
      throw err;
    };
}
