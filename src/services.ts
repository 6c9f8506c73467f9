// The composition root: builds every service of a running ChatX once, in dependency order, for the
// server, the CLI and the tests alike; starts the background work (start) and stops everything in
// reverse (close). It can also close the database (both connections: this one and the webhook's
// writer thread) and open it again with another key while the process runs (reopen), which is what
// key rotation, restore and wipe need.
import path from 'node:path';
import { Assistant } from './ai/assistant';
import { aiReplyJob } from './ai/reply-job';
import { liveSessionIds } from './auth/sessions';
import { SourceLimits } from './auth/throttle';
import type { Config } from './config';
import { Bus } from './core/bus';
import { prepareDataDir } from './core/data-dir';
import { Db } from './core/db';
import { Health } from './core/health';
import { resolveDatabaseKey, type DatabaseKey } from './core/key';
import { log } from './core/log';
import { migrate } from './core/migrate';
import { JobQueue } from './core/queue';
import { AI_REPLY_JOB } from './conversations/ai-replies';
import { Conversations } from './conversations/service';
import { Workflow } from './conversations/workflow';
import { FollowUps } from './crm/follow-ups';
import { Leads } from './crm/leads';
import type { Deps } from './deps';
import { LiveHub } from './inbox/live';
import { InboxStats } from './inbox/stats';
import { startJobs, type JobRunner } from './jobs';
import { attachmentJob } from './messenger/attachment-job';
import { Channel } from './messenger/channel';
import { Outbox } from './messenger/outbox/outbox';
import { profileJob } from './messenger/profile-job';
import { ReadReceipts } from './messenger/read-receipts';
import { senderActionJob } from './messenger/sender-action-job';
import { InProcessIngest, WorkerIngest } from './messenger/webhook/sink';
import { Deletions } from './privacy/deletions';
import { Vault } from './privacy/vault';
import { createViews } from './views';

export interface Services extends Deps {
  /** Starts the background work: the live stream's heartbeat, the cron jobs, work left by a restart. */
  start(): Promise<void>;
  /**
   * Stops everything in reverse order: live streams, jobs, the sender and the queue (work in flight
   * gets two seconds, then is abandoned and re-queued for the next start), both connections.
   */
  close(): Promise<void>;
  /**
   * Closes both connections, runs `between` while the database file is free (swap it, delete it),
   * and opens it again with `passphrase` (migrated, so an empty file becomes a fresh install).
   * Statements issued meanwhile wait and then run on the new connection.
   */
  reopen(passphrase: string, between?: () => Promise<void>): Promise<void>;
}

export interface BuildOptions {
  /** Commit webhook bodies on a worker thread with its own connection (the server); else in this thread. */
  writerThread?: boolean;
}

export function databaseFile(config: Config): string {
  return path.join(config.dataDir, 'chatx.db');
}

/** Opens DATA_DIR/chatx.db with the configured key, brings its schema up to date, and builds the services. */
export async function buildServices(config: Config, options: BuildOptions = {}): Promise<Services> {
  // Files this process creates (the database, its WAL, backups, exports) are for its own user only.
  process.umask(0o077);
  prepareDataDir(config.dataDir);
  const key: DatabaseKey = resolveDatabaseKey(config);
  const file = databaseFile(config);
  const db = await Db.open(file, key.passphrase);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const bus = new Bus();
  const channel = new Channel(db, config);
  const conversations = new Conversations(db, bus);
  const workflow = new Workflow(conversations);
  const ingest = options.writerThread ? new WorkerIngest(file, key.passphrase) : new InProcessIngest(db);
  // Jobs write on this connection; against the writer thread's connection they would contend for
  // the write lock, so during a webhook burst they wait for a quiet moment (queue.ts). In-process,
  // both share this connection's queue and there is nothing to wait for.
  const queue = new JobQueue(db, options.writerThread ? { busySince: () => ingest.lastActivityAt } : {});
  queue.register('messenger.profile', profileJob(db, channel, conversations));
  // Attachments come only from Meta's CDN, or from the Graph API origin a test points at a local fake.
  const trustedOrigin = new URL(config.graphApiUrl).origin;
  queue.register('messenger.attachment', attachmentJob(db, conversations, channel, { trustedOrigin }));
  queue.register('messenger.sender_action', senderActionJob(db, channel));
  const outbox = new Outbox(db, conversations, channel);
  const assistant = new Assistant(db, conversations, bus, config);
  queue.register(AI_REPLY_JOB, aiReplyJob({ db, assistant, conversations, outbox, bus }));
  const readReceipts = new ReadReceipts(db, workflow, queue, channel);
  const views = createViews(config, channel);
  const signIns = new SourceLimits();
  const inboxStats = new InboxStats(db, bus);
  const live = new LiveHub({
    db,
    bus,
    liveSessions: (ids) => liveSessionIds(db, ids),
    stats: inboxStats,
    render: views.render,
    onViewed: (id) =>
      workflow.markRead(id).catch((err: Error) => log.error('marking a viewed conversation read failed', { error: err.message })),
  });

  const deletions = new Deletions(db, conversations, channel, config);

  let jobs: JobRunner | undefined;
  let started = false;
  let closed: Promise<void> | undefined;
  const deps: Deps = {
    config,
    databaseKey: key,
    db,
    bus,
    channel,
    conversations,
    workflow,
    queue,
    outbox,
    assistant,
    readReceipts,
    ingest,
    signIns,
    inboxStats,
    live,
    views,
    health: new Health(db),
    deletions,
    // Restore, key rotation and wipe go through this builder's reopen (below).
    vault: new Vault({ config, db, key, live, deletions, reopen: (passphrase, between) => services.reopen(passphrase, between) }),
    followUps: new FollowUps(db, bus, outbox, channel),
    leads: new Leads(db),
  };
  const services: Services = Object.assign(deps, {
    async start() {
      started = true;
      // Checkpoints are the wal-checkpoint job's, in quiet moments (jobs.ts), not every 1,000 pages.
      await db.exec('PRAGMA wal_autocheckpoint = 0');
      // The knowledge file, and the row that lets the webhook queue AI answers (or not).
      await assistant.start();
      // The writer thread derives the key on a connection of its own, about a third of a second:
      // the server listens meanwhile, and a webhook that comes first waits for it (sink.ts).
      ingest.start().catch((err: Error) => log.error('the webhook writer thread did not start', { error: err.message }));
      live.start();
      jobs = startJobs(deps);
    },
    close() {
      closed ??= (async () => {
        live.close();
        // Together: the cron jobs may be waiting on a pass of the sender or the queue, which give
        // their work in flight two seconds and then abandon it (it is picked up after the restart).
        await Promise.all([jobs?.stop(), outbox.stop(), queue.stop(), deps.deletions.stop()]);
        await ingest.close();
        await db.close();
      })();
      return closed;
    },
    async reopen(passphrase: string, between?: () => Promise<void>) {
      // The writer thread's connection first, so the file is free; statements on this one wait.
      await ingest.close();
      try {
        await db.reopen(passphrase, between);
        await migrate(db);
        key.passphrase = passphrase;
      } finally {
        // A new connection: the per-connection choice start() made holds for it too.
        if (started) await db.exec('PRAGMA wal_autocheckpoint = 0');
        channel.invalidate();
        inboxStats.invalidate();
        deletions.invalidate();
        await assistant.changed().catch((err: Error) => log.error('AI settings after reopening', { error: err.message }));
        await ingest.reopen(key.passphrase);
      }
    },
  });
  return services;
}
