// Opens DATA_DIR/chatx.db with the configured key, brings its schema up to date, and wires the
// services every route and job shares. Shared by the server and the CLI; starts no timers.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { Bus } from './core/bus';
import { Db } from './core/db';
import { resolveDatabaseKey } from './core/key';
import { migrate } from './core/migrate';
import { enqueueJob, JobQueue } from './core/queue';
import type { Deps } from './deps';
import { attachmentJob } from './messenger/attachment-job';
import { LiveHub } from './inbox/live';
import { Workflow } from './inbox/workflow';
import { inProcessIngest } from './messenger/ingest-client';
import { OutboxSender } from './messenger/outbox-sender';
import { senderActionJob } from './messenger/sender-action-job';
import { profileJob } from './messenger/profile-job';

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
  const bus = new Bus();
  const queue = new JobQueue(db);
  queue.register('messenger.profile', profileJob(db, config, bus));
  queue.register('messenger.attachment', attachmentJob(db, bus));
  queue.register('messenger.sender_action', senderActionJob(db, config));
  const workflow = new Workflow(db, bus);
  const live = new LiveHub(db, bus);
  // A message arriving in a conversation someone has open is read as it arrives.
  live.onViewed = (conversationId) => {
    void workflow.markRead(conversationId).then(async (wasUnread) => {
      if (!wasUnread) return;
      await enqueueJob(db, 'messenger.sender_action', { conversationId, action: 'mark_seen' });
      await queue.kick();
    });
  };
  return {
    config,
    db,
    databaseKey,
    bus,
    queue,
    outbox: new OutboxSender(db, config, bus),
    live,
    workflow,
    ingest: inProcessIngest(db),
  };
}
