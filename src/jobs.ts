// The cron table: every background job as {name, schedule, run}. Jobs call the same services as
// routes. A job never overlaps itself, and stop() waits for running ones before the database closes.
import fs from 'node:fs';
import cron, { type ScheduledTask } from 'node-cron';
import { purgeExpiredSessions } from './auth/sessions';
import { purgeAccountFailures } from './auth/throttle';
import { log } from './core/log';
import type { Deps } from './deps';
import { purgeReceipts } from './messenger/webhook/receipts';
import { applyRetention } from './privacy/retention';

export interface Job {
  name: string;
  /** Cron expression (seconds field optional), in the configured TZ. */
  schedule: string;
  run: (deps: Deps) => Promise<unknown>;
}

const WAL_FORCE_BYTES = 64 * 1024 * 1024;

export const jobs: Job[] = [
  {
    // The outbox is kicked after every commit; this sweep catches retries that come due and
    // anything left by a restart.
    name: 'outbox-sweep',
    schedule: '*/5 * * * * *',
    run: ({ outbox }) => outbox.kick(),
  },
  {
    // Profile lookups and attachment downloads (and their retries).
    name: 'job-queue',
    schedule: '*/10 * * * * *',
    run: ({ queue }) => queue.kick(),
  },
  {
    // While Meta refuses the Page token, ask again each minute; held replies go out once it works.
    name: 'token-probe',
    schedule: '30 * * * * *',
    run: ({ outbox }) => outbox.probeToken(),
  },
  {
    name: 'wake-snoozed',
    schedule: '* * * * *',
    run: async ({ workflow }) => {
      const woken = await workflow.wakeSnoozed();
      if (woken) log.info('woke snoozed conversations', { woken });
    },
  },
  {
    // Folds the WAL back into the database file. The server's connections never checkpoint on
    // their own (services.ts, messenger/webhook/writer-thread.ts): a checkpoint's fsync stalls the disk, and with it
    // every webhook waiting for its commit. So it runs here, in a quiet moment (no webhook for a
    // second), or regardless once the WAL passes 64 MiB during a long burst.
    name: 'wal-checkpoint',
    schedule: '*/2 * * * * *',
    run: async ({ db, ingest }) => {
      const wal = fs.statSync(`${db.file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
      const busy = Date.now() - ingest.lastActivityAt < 1000;
      if (wal === 0 || (busy && wal < WAL_FORCE_BYTES)) return;
      await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    },
  },
  {
    // Deletion requests whose 30 days are up are carried out; also run at every start (below), so
    // a deadline that passed while ChatX was down is met as soon as it is back.
    name: 'deletion-deadlines',
    schedule: '7 * * * *',
    run: ({ deletions }) => deletions.pass(),
  },
  {
    // Follow-ups whose time has come: reminders for their owners, or drafted messages sent if
    // Messenger's window allows (crm/follow-ups.ts); also run at every start, like the deadlines.
    name: 'follow-ups',
    schedule: '* * * * *',
    run: ({ followUps }) => followUps.pass(),
  },
  {
    // Optional retention (off by default): people quiet for longer than the set months are erased.
    name: 'retention',
    schedule: '23 3 * * *',
    run: async (deps) => {
      const erased = await applyRetention(deps);
      if (erased) log.info('erased people past the retention period', { erased });
    },
  },
  {
    name: 'purge-expired-sessions',
    schedule: '17 * * * *',
    run: async ({ db }) => {
      const removed = await purgeExpiredSessions(db);
      if (removed) log.info('purged expired sessions', { removed });
      await purgeAccountFailures(db);
      await purgeReceipts(db);
    },
  },
  {
    // An encrypted copy into DATA_DIR/backups each night (03:30 in TZ), keeping the newest
    // BACKUP_KEEP (0: off); the copy is made beside the serving connections (privacy/db-files.ts).
    name: 'nightly-backup',
    schedule: '30 3 * * *',
    run: ({ vault }) => vault.nightly(),
  },
];

export interface JobRunner {
  /** Runs one job now (used by the sweepers' "kick" and by tests); skips it if it is already running. */
  runNow(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function startJobs(deps: Deps, list: Job[] = jobs): JobRunner {
  const running = new Map<string, Promise<void>>();
  let stopping = false;

  const runNow = (name: string): Promise<void> => {
    const job = list.find((j) => j.name === name);
    if (!job) return Promise.reject(new Error(`no job named ${name}`));
    if (stopping) return Promise.resolve();
    const current = running.get(name);
    if (current) return current;
    const started = Date.now();
    const run = job
      .run(deps)
      .then(
        () => log.debug('job done', { job: name, ms: Date.now() - started }),
        (err: Error) => log.error('job failed', { job: name, error: err.stack ?? err.message }),
      )
      .finally(() => running.delete(name));
    running.set(name, run);
    return run;
  };

  const tasks: ScheduledTask[] = list.map((job) =>
    // runNow already keeps a job from overlapping itself (node-cron's own guard would only log noise).
    cron.schedule(job.schedule, () => runNow(job.name), { name: job.name, timezone: deps.config.tz }),
  );

  // Work left by a previous run (a crash, a restart) starts right away.
  void deps.queue
    .recover()
    .then(() => deps.queue.kick())
    .catch((err: Error) => log.error('job queue recovery failed', { error: err.message }));
  void deps.outbox.kick();
  if (list.some((j) => j.name === 'deletion-deadlines')) void runNow('deletion-deadlines');
  if (list.some((j) => j.name === 'follow-ups')) void runNow('follow-ups');

  return {
    runNow,
    /** No more runs; waits for the running ones (services.ts then stops the sender and the queue). */
    async stop() {
      stopping = true;
      await Promise.all(tasks.map((t) => t.destroy()));
      await Promise.all(running.values());
    },
  };
}
