// The conversations service: runs a piece of work as one transaction with a ConversationWriter, and
// announces what it changed once it has committed. Routes, the outbox, jobs and the workflow all
// write through it; the webhook's writer thread writes with its own ConversationWriter and hands
// its outcome here to be announced.
import type { Bus } from '../core/bus';
import type { Db } from '../core/db';
import { announce, emptyOutcome, type Outcome } from './changes';
import { ConversationWriter } from './writer';

export class Conversations {
  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
  ) {}

  /** Runs `work` in one transaction; what it changed is announced after the commit (never after a rollback). */
  async write<T>(work: (w: ConversationWriter) => Promise<T>): Promise<T> {
    const outcome = emptyOutcome();
    const result = await this.db.transaction(async (tx) => {
      const writer = new ConversationWriter(tx, outcome);
      const value = await work(writer);
      await writer.settle();
      await writer.queueFollowUps();
      return value;
    });
    announce(this.bus, outcome);
    return result;
  }

  /**
   * Runs `work` that writes with one statement (atomic by itself) without BEGIN and COMMIT around
   * it: the jobs that do this run during webhook bursts, and a transaction on this connection holds
   * the write lock across three round trips instead of one, which the writer thread then waits for.
   */
  async writeOne<T>(work: (w: ConversationWriter) => Promise<T>): Promise<T> {
    const outcome = emptyOutcome();
    const result = await work(new ConversationWriter(this.db, outcome));
    announce(this.bus, outcome);
    return result;
  }

  /** Announces what committed elsewhere (the webhook's writer thread). */
  announce(outcome: Pick<Outcome, 'messages' | 'conversations'>): void {
    announce(this.bus, outcome);
  }
}
