// The backups folder, DATA_DIR/backups: what is in it, the names of new backups, and keeping only
// the newest nightly ones. A backup ChatX makes is named for when it was made (UTC) and why:
// chatx-20261129-033000-nightly.db, …-manual.db (the Privacy page), …-before-restore.db (the
// database as it was, kept by a restore). Any other *.db file copied into the folder is listed too
// (as "copied", dated by its file time), so a backup from elsewhere can be restored from the page.
// A backup being written has a hidden temporary name until it is complete.
import fs from 'node:fs';
import path from 'node:path';

export type BackupKind = 'nightly' | 'manual' | 'before-restore' | 'copied';

export interface Backup {
  name: string;
  file: string;
  kind: BackupKind;
  bytes: number;
  /** When the copy was made (ms): from the name when ChatX made it, else the file's time. */
  createdAt: number;
}

const OURS = /^chatx-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)(?:-(\d{1,3}))?-(nightly|manual|before-restore)\.db$/;
/** What may be named in a URL: no path, no hidden file, nothing SQLite keeps beside a database. */
const LISTED = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.db$/;

export function backupsDir(dataDir: string): string {
  return path.join(dataDir, 'backups');
}

function describe(dir: string, name: string): (Backup & { sequence: number }) | undefined {
  if (!LISTED.test(name)) return undefined;
  const file = path.join(dir, name);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return undefined;
  const m = OURS.exec(name);
  if (!m) return { name, file, kind: 'copied', bytes: stat.size, createdAt: stat.mtimeMs, sequence: 0 };
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const createdAt = Date.UTC(y, mo - 1, d, h, mi, s);
  return { name, file, kind: m[8] as BackupKind, bytes: stat.size, createdAt, sequence: Number(m[7] ?? 1) };
}

/** The backups, newest first. */
export function listBackups(dataDir: string): Backup[] {
  const dir = backupsDir(dataDir);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  return names
    .map((name) => describe(dir, name))
    .filter((b) => b !== undefined)
    .sort((a, b) => b.createdAt - a.createdAt || b.sequence - a.sequence)
    .map(({ sequence: _, ...backup }) => backup);
}

/** The backup with this exact name, if there is one (anything that is not a backup's name finds nothing). */
export function findBackup(dataDir: string, name: string): Backup | undefined {
  const found = describe(backupsDir(dataDir), name);
  if (!found) return undefined;
  const { sequence: _, ...backup } = found;
  return backup;
}

/** A new, unused name for a backup made now; creates the folder. */
export function newBackupPath(dataDir: string, kind: Exclude<BackupKind, 'copied'>, now = new Date()): string {
  const dir = backupsDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let n = 1; n < 1000; n++) {
    const name = `chatx-${stamp}${n === 1 ? '' : `-${n}`}-${kind}.db`;
    if (!fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  throw new Error('too many backups made within one second');
}

/** Deletes all but the newest `keep` backups of this kind; returns the names deleted. */
export function pruneBackups(dataDir: string, kind: BackupKind, keep: number): string[] {
  const old = listBackups(dataDir)
    .filter((b) => b.kind === kind)
    .slice(keep);
  for (const b of old) fs.rmSync(b.file, { force: true });
  return old.map((b) => b.name);
}

/** A file size for people: "840 KB", "12.3 MB", "1.4 GB". */
export function sizeOf(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}
