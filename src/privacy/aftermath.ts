// What follows an erasure once it has committed, in the background: the search index's pages that
// still hold the erased words are rewritten (conversations/erase.ts purgeErasedWords, a step at a
// time), then the write-ahead log is checkpointed and truncated, so the old pages leave it too.
// Until that is done a setting says so; the deadline job's next pass resumes it after a restart.
import type { Db, Queryable } from '../core/db';
import { log } from '../core/log';
import { purgeErasedWords } from '../conversations/erase';
import { deleteSetting, getSetting, setSetting } from '../settings/store';

const PENDING = 'privacy.index_purge_pending';

export class Aftermath {
  private running?: Promise<void>;
  /** Set when a truncating checkpoint could not finish (a reader was busy): the next pass retries. */
  private walToTruncate = false;
  private readonly stopping = new AbortController();

  constructor(private readonly db: Db) {}

  /** In the erasure's transaction: the rewrite is owed from its commit on, crash or not. */
  async owed(tx: Queryable): Promise<void> {
    await setSetting(tx, PENDING, '1');
  }

  /** After the commit: starts (or queues) the rewrite and the truncation. */
  start(): void {
    const run = async () => {
      if (!(await purgeErasedWords(this.db, this.stopping.signal))) return;
      await this.truncateWal();
      await deleteSetting(this.db, PENDING);
    };
    this.running = (this.running ?? Promise.resolve())
      .then(run)
      .catch((err: Error) =>
        log.error('rewriting the search index after an erasure failed; the next pass retries', { error: err.message }),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  /** The deadline job's pass: resumes what a restart interrupted, or a truncation that was busy. */
  async resume(): Promise<void> {
    if (this.running) return;
    if (await getSetting(this.db, PENDING)) this.start();
    else if (this.walToTruncate) await this.truncateWal();
  }

  /** ChatX is stopping: the rewrite stops after its current step (the next start resumes it). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.settled();
  }

  /** Resolves when the work after the erasures so far is done. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Folds the write-ahead log into the database and truncates it to nothing. A reader in the middle
   * of a read can keep it from finishing: then it is tried again a few times, then at the next pass.
   */
  private async truncateWal(): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await this.db.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)');
      if (r && r.busy === 0) {
        this.walToTruncate = false;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.walToTruncate = true;
    log.warn('the write-ahead log could not be truncated after a deletion yet; trying again at the next pass');
  }
}
