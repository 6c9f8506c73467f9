// The full export reads on a database connection of its own. Its pages are read once each, so it
// keeps a small page cache instead of filling (and emptying of what serves the app) the one of the
// server's connection, and its queries never wait in that connection's queue, nor make the app's
// wait: each page is a read transaction of its own, which WAL lets run beside the writers. Opening
// it derives the key once (about a third of a second), once per export.
import { Db } from '../core/db';

export async function withExportConnection<T>(file: string, passphrase: string, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.open(file, passphrase);
  try {
    await db.exec('PRAGMA cache_size = -2048');
    return await work(db);
  } finally {
    await db.close();
  }
}
