// The full export into a file, for `chatx export --out FILE.zip`. It works beside a running server
// (WAL lets this second connection read while the server writes). The ZIP is written to a hidden
// temporary file in the same folder and put in place only when complete, without ever replacing a
// file that exists: a cut-off export (Ctrl-C, a full disk) leaves no ZIP that looks whole.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../core/db';
import { AppError } from '../core/errors';
import { writeFullExport, type ExportCounts } from './export-full';

const exists = (file: string) =>
  new AppError(409, 'export-file-exists', `${file} already exists; an export never overwrites a file, give a new name`);

/** Why the export cannot go to `out` (checked before any work, and again when the file is put in place). */
export function checkExportTarget(out: string): string {
  const target = path.resolve(out);
  if (fs.existsSync(target)) throw exists(out);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new AppError(400, 'export-folder-missing', `the folder ${dir} does not exist`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new AppError(400, 'export-folder-not-writable', `cannot write in the folder ${dir}`);
  }
  return target;
}

/** Puts the finished temporary file at `target` unless something appeared there meanwhile. */
function place(temp: string, target: string, out: string): void {
  try {
    // A hard link fails if the name is taken (rename would silently replace it).
    fs.linkSync(temp, target);
    fs.rmSync(temp, { force: true });
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw exists(out);
    // File systems without hard links: check, then rename.
    if (fs.existsSync(target)) throw exists(out);
    fs.renameSync(temp, target);
  }
}

export interface FileExport {
  file: string;
  bytes: number;
  counts: ExportCounts;
}

export async function exportToFile(
  db: Queryable,
  out: string,
  onProgress?: (done: number, total: number) => void,
): Promise<FileExport> {
  const target = checkExportTarget(out);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.partial`);
  const removeTemp = () => fs.rmSync(temp, { force: true });
  // Interrupted: no half file is left behind.
  const interrupted = (signal: NodeJS.Signals) => {
    removeTemp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    // Only its owner may read it: the file holds everything, unencrypted.
    const sink = fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    let total = 0;
    let done = 0;
    const counts = await writeFullExport(db, sink, {
      onStart: (n) => (total = n),
      onRows: (n) => {
        done = Math.min(total, done + n);
        onProgress?.(done, total);
      },
    });
    place(temp, target, out);
    return { file: target, bytes: fs.statSync(target).size, counts };
  } catch (err) {
    removeTemp();
    throw err;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

/** A progress line on a terminal, redrawn at most four times a second. */
export function exportProgressLine(write = (text: string) => process.stderr.write(text)): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 250 && done < total) return;
    last = now;
    const percent = total ? Math.floor((100 * done) / total) : 100;
    write(`\rExporting… ${percent}% (${done.toLocaleString('en')} of ${total.toLocaleString('en')} records)\x1b[K`);
  };
}
