// The numbers every inbox page and every live update shows: conversations per status (the tabs)
// and open conversations with unread messages (the tab title). Counting them scans every
// conversation, so they are kept until a conversation changes (the bus says so, after the commit)
// and then counted again once, however many pages and tabs ask.
import type { Bus } from '../core/bus';
import type { Queryable } from '../core/db';
import type { ConversationStatus } from '../conversations/queries';
import { counts, unreadTotal } from './list';

export interface InboxNumbers {
  counts: Record<ConversationStatus, number>;
  unread: number;
}

export class InboxStats {
  private generation = 0;
  private cached?: { generation: number; numbers: Promise<InboxNumbers> };

  constructor(
    private readonly db: Queryable,
    bus: Bus,
  ) {
    bus.on('conversation', () => this.invalidate());
  }

  /** Forget the numbers (a conversation changed, or the database was reopened). */
  invalidate(): void {
    this.generation++;
  }

  numbers(): Promise<InboxNumbers> {
    if (this.cached?.generation === this.generation) return this.cached.numbers;
    // Tagged with the generation it started in: a change while it runs makes the next ask count again.
    const numbers = Promise.all([counts(this.db), unreadTotal(this.db)]).then(([c, unread]) => ({ counts: c, unread }));
    const entry = { generation: this.generation, numbers };
    this.cached = entry;
    numbers.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return numbers;
  }
}
