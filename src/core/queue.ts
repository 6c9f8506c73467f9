// A durable job queue in the jobs table, for work that needs the network (profile lookups,
// attachment downloads, AI replies). Jobs are inserted in the same transaction as the data that
// needs them, so nothing is forgotten across a crash; a worker runs them with retries and backoff.
import { setMaxListeners } from 'node:events';
import type { Db, Queryable } from './db';
import { log } from './log';
import { Rerunner } from './rerun';

export interface JobRow {
  id: number;
  kind: string;
  payload: string;
  attempts: number;
}

/** Thrown by a handler to say "try again later" after the given delay. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** What a handler gets besides its payload: the attempt number, and a signal that aborts when ChatX stops. */
export type JobHandler = (payload: Record<string, unknown>, job: JobRow & { signal: AbortSignal }) => Promise<void>;

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  /** A second job with the same key is not queued. */
  dedupeKey?: string;
  runAt?: number;
}

export async function enqueueJob(
  db: Queryable,
  kind: string,
  payload: Record<string, unknown>,
  options: { dedupeKey?: string; runAt?: number } = {},
): Promise<void> {
  await enqueueJobs(db, [{ kind, payload, ...options }]);
}

/** Jobs per statement: six parameters each, far below SQLite's limit. */
const JOBS_PER_STATEMENT = 100;

/** Several jobs with one statement per hundred (the profile lookups of a webhook batch). */
export async function enqueueJobs(db: Queryable, jobs: NewJob[]): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < jobs.length; i += JOBS_PER_STATEMENT) {
    const chunk = jobs.slice(i, i + JOBS_PER_STATEMENT);
    await db.run(
      `INSERT INTO jobs (kind, payload, run_at, dedupe_key, created_at, updated_at)
       VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`,
      chunk.flatMap((j) => [j.kind, JSON.stringify(j.payload), j.runAt ?? now, j.dedupeKey ?? null, now, now]),
    );
  }
}

/**
 * Queues a job, or pushes back the one already queued under `dedupeKey` to `runAt` (a debounce:
 * each new message from a customer moves the AI's answer a little later, so a burst gets one). A
 * finished job under that key is queued afresh; one running right now runs once more afterwards.
 */
export async function requeueJob(
  db: Queryable,
  kind: string,
  payload: Record<string, unknown>,
  dedupeKey: string,
  runAt: number,
): Promise<void> {
  const now = Date.now();
  await db.run(
    `INSERT INTO jobs (kind, payload, run_at, dedupe_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (dedupe_key) DO UPDATE SET
       again = CASE WHEN jobs.state = 'running' THEN 1 ELSE 0 END,
       state = CASE WHEN jobs.state = 'running' THEN 'running' ELSE 'pending' END,
       attempts = CASE WHEN jobs.state = 'running' THEN jobs.attempts ELSE 0 END,
       payload = excluded.payload, run_at = excluded.run_at, last_error = NULL, updated_at = excluded.updated_at`,
    [kind, JSON.stringify(payload), runAt, dedupeKey, now, now],
  );
}

/**
 * Drops the jobs about these records, whatever their state (a person's data is being erased): their
 * payloads name the contact, the conversation or a file. A job running meanwhile finds nothing.
 */
export async function forgetJobs(
  db: Queryable,
  about: { contactId: number; conversationIds: number[]; attachmentIds: number[] },
): Promise<number> {
  const { changes } = await db.run(
    `DELETE FROM jobs WHERE json_valid(payload) AND (json_extract(payload, '$.contactId') = ?
       OR json_extract(payload, '$.conversationId') IN (SELECT value FROM json_each(?))
       OR json_extract(payload, '$.attachmentId') IN (SELECT value FROM json_each(?)))`,
    [about.contactId, JSON.stringify(about.conversationIds), JSON.stringify(about.attachmentIds)],
  );
  return changes;
}

/** Exponential backoff with jitter: 5 s, 10 s, 20 s … capped at 30 minutes. */
export function backoffMs(attempts: number, baseMs = 5000, capMs = 30 * 60 * 1000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (0.75 + Math.random() * 0.5));
}

const QUIET_MS = 250;
const WAKE_WITHIN_MS = 60_000;
const MAX_YIELD_MS = 5000;

export class JobQueue {
  private handlers = new Map<string, JobHandler>();
  private readonly runner = new Rerunner('job queue', () => this.drain());
  /** Aborted when a stop runs out of patience: jobs in flight give up and stay 'running' (recover() re-queues them). */
  private readonly abandon = new AbortController();

  private readonly busySince?: () => number;
  private wake?: { at: number; timer: NodeJS.Timeout };
  readonly maxAttempts: number;

  /**
   * `busySince` tells when the webhook last took a body. Jobs write on the main connection, and
   * every such write can make the webhook's writer thread wait for the lock; during a burst the
   * jobs therefore wait for a quiet moment (a quarter second without webhooks), for at most
   * MAX_YIELD_MS, so a contact's name or a file arrives a few seconds later, never the ack.
   */
  constructor(
    private readonly db: Db,
    options: { busySince?: () => number; maxAttempts?: number } = {},
  ) {
    this.busySince = options.busySince;
    this.maxAttempts = options.maxAttempts ?? 8;
    // Every job in flight (twenty at a time, each perhaps an SDK call) listens to this one signal.
    setMaxListeners(0, this.abandon.signal);
  }

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** After a crash, jobs left 'running' are due again. */
  async recover(): Promise<void> {
    await this.db.run("UPDATE jobs SET state = 'pending' WHERE state = 'running'");
  }

  /** Runs due jobs now; concurrent kicks coalesce into one more pass. */
  kick(): Promise<void> {
    return this.runner.kick();
  }

  /** Waits (within this pass's budget) until the webhook has been quiet for a moment. */
  private async quietMoment(passStarted: number): Promise<void> {
    const busy = () => this.busySince !== undefined && Date.now() - this.busySince() < QUIET_MS;
    while (busy() && Date.now() - passStarted < MAX_YIELD_MS && !this.runner.isStopped) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    }
  }

  /**
   * A job due within the next minute (a debounced AI answer, a short retry-after) gets a timer, so
   * it runs on time rather than at the next sweep.
   */
  private async wakeForNext(): Promise<void> {
    const next = await this.db.get<{ at: number | null }>("SELECT MIN(run_at) AS at FROM jobs WHERE state = 'pending'");
    const at = next?.at;
    if (at === null || at === undefined || this.runner.isStopped) return;
    const delay = Math.max(0, at - Date.now());
    if (delay > WAKE_WITHIN_MS || (this.wake && this.wake.at <= at)) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(() => {
      this.wake = undefined;
      void this.kick();
    }, delay + 5);
    timer.unref();
    this.wake = { at, timer };
  }

  private async drain(): Promise<void> {
    const passStarted = Date.now();
    for (;;) {
      if (this.runner.isStopped) return;
      const due = await this.db.all<JobRow>(
        "SELECT id, kind, payload, attempts FROM jobs WHERE state = 'pending' AND run_at <= ? ORDER BY run_at, id LIMIT 20",
        [Date.now()],
      );
      if (due.length === 0) return this.wakeForNext();
      await this.quietMoment(passStarted);
      // One write claims the batch and one transaction records the outcomes: the webhook writer
      // thread shares the file, and every extra write lock here can make it wait.
      const now = Date.now();
      await this.db.run(
        `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id IN (${due.map(() => '?').join(',')}) AND state = 'pending'`,
        [now, ...due.map((j) => j.id)],
      );
      // Run the batch side by side: the jobs are network-bound.
      const settled = await Promise.all(due.map((job) => this.runOne(job)));
      // Jobs abandoned by a stop record nothing: they are 'running' until the next start re-queues them.
      const outcomes = settled.filter((o): o is NonNullable<typeof o> => o !== undefined);
      // A job queued again while it ran (requeueJob) is due again at the time that asked for it.
      await this.db.transaction(async (tx) => {
        for (const o of outcomes) {
          await tx.run(
            `UPDATE jobs SET state = CASE WHEN again = 1 THEN 'pending' ELSE ? END,
               run_at = CASE WHEN again = 1 THEN run_at ELSE ? END,
               attempts = CASE WHEN again = 1 THEN 0 ELSE attempts END,
               again = 0, last_error = ?, updated_at = ? WHERE id = ?`,
            [o.state, o.runAt, o.error, Date.now(), o.id],
          );
        }
      });
    }
  }

  private async runOne(
    job: JobRow,
  ): Promise<{ id: number; state: 'done' | 'pending' | 'failed'; runAt: number; error: string | null } | undefined> {
    const attempts = job.attempts + 1;
    const handler = this.handlers.get(job.kind);
    const signal = this.abandon.signal;
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(JSON.parse(job.payload) as Record<string, unknown>, { ...job, attempts, signal });
      return { id: job.id, state: 'done', runAt: Date.now(), error: null };
    } catch (err) {
      if (signal.aborted) return undefined;
      const e = err as Error;
      const retry = e instanceof RetryLater && attempts < this.maxAttempts;
      (retry ? log.warn : log.error)(retry ? 'job will retry' : 'job failed for good', {
        job: job.kind,
        id: job.id,
        attempts,
        error: e.message,
      });
      return {
        id: job.id,
        state: retry ? 'pending' : 'failed',
        runAt: retry ? Date.now() + ((e as RetryLater).delayMs ?? backoffMs(attempts)) : Date.now(),
        error: e.message.slice(0, 500),
      };
    }
  }

  /** No new passes; jobs still running after `graceMs` are abandoned (re-queued at the next start). */
  stop(graceMs = 2000): Promise<void> {
    if (this.wake) clearTimeout(this.wake.timer);
    this.wake = undefined;
    return this.runner.stop(graceMs, () => this.abandon.abort(new Error('ChatX is stopping')));
  }
}
