// The webhook's writer thread. Ingesting a batch takes a few database round trips per event; on the
// main thread each round trip waits behind HTTP parsing, so under load the commit, and with it every
// waiting webhook answer, gets slower. Here the round trips have a thread of their own: the worker
// holds a second connection to the same encrypted file (WAL lets both in; writers take turns) and
// runs the same group-commit batcher. The main thread still answers Meta only after the commit, and
// announces what changed (the outcome travels back as plain data).
import { parentPort, workerData } from 'node:worker_threads';
import { Db } from '../../core/db';
import { IngestBatcher } from './batcher';
import type { WebhookBody } from './ingest';

interface Request {
  id: number;
  body: WebhookBody;
  appId?: string;
}

async function main(): Promise<void> {
  const { file, passphrase } = workerData as { file: string; passphrase: string };
  const db = await Db.open(file, passphrase);
  // No checkpoints on this connection: copying the WAL into the file (and its fsync) would stall a
  // commit, and with it every webhook waiting for it. The wal-checkpoint job does it in quiet
  // moments on the main connection (jobs.ts).
  await db.exec('PRAGMA wal_autocheckpoint = 0');
  const batcher = new IngestBatcher(db);
  parentPort!.on('message', (message: Request | 'close') => {
    if (message === 'close') {
      db.close().finally(() => process.exit(0));
      return;
    }
    batcher.submit(message.body, message.appId).then(
      (result) => parentPort!.postMessage({ id: message.id, result }),
      (err: Error) => parentPort!.postMessage({ id: message.id, error: err.message }),
    );
  });
  parentPort!.postMessage('ready');
}

main().catch((err: Error) => {
  parentPort!.postMessage({ fatal: err.message });
  process.exit(1);
});
