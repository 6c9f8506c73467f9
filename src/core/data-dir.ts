// DATA_DIR: where the encrypted database (and its WAL), the backups and the exports live. ChatX
// must be able to write there; a volume mounted read-only, or owned by another user, is said
// plainly at start instead of as SQLite's "unable to open database file".
import fs from 'node:fs';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const REASONS: Record<string, string> = {
  EROFS: 'it is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'part of the path is a file, not a folder',
  ENOSPC: 'the disk is full',
};

/** Creates the folder if need be and checks that this process may write in it; else a DataDirError. */
export function prepareDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!(code in REASONS)) throw err;
    throw new DataDirError(
      `cannot write to DATA_DIR ${dir}: ${REASONS[code]}. ChatX keeps its database there and must write to it; ` +
        'mount it read-write, owned by the user ChatX runs as.',
    );
  }
}
