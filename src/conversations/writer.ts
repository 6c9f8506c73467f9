// The one writer of contacts, conversations and messages inside a transaction. Every change to
// those rows goes through a ConversationWriter (or the Conversations service that makes one), which
// records what changed in its Outcome for announcing after the commit. A webhook batch shares one
// writer's lookups and collected rows across its bodies (withOutcome), each body with its own outcome.
import type { Queryable } from '../core/db';
import { emptyOutcome, type Outcome } from './changes';
import { queueAiReplies } from './ai-replies';
import { erasedAt } from './erased';
import { PlainMessages, type PlainMessage } from './plain-messages';
import { createThreads, findThread, findThreads, threadKey, type Person, type Thread } from './threads';

/** What the writers of one transaction share. */
interface Shared {
  /** Threads already looked up in this transaction (the write lock keeps them current). */
  threads: Map<string, Thread>;
  /** People looked up in this transaction who have no thread yet. */
  absent: Set<string>;
  /** When people of this transaction were erased, if lately (threadKey → time); see erase.ts. */
  erased: Map<string, number | undefined>;
  plain: PlainMessages;
  /** Writes whose result nothing waits for (conversation touches); awaited before the commit. */
  pending: Promise<unknown>[];
  /** Conversations with new customer messages in this transaction → the newest such message. */
  inbound: Map<number, number>;
}

export class ConversationWriter {
  constructor(
    readonly tx: Queryable,
    readonly outcome: Outcome = emptyOutcome(),
    private readonly shared: Shared = {
      threads: new Map(),
      absent: new Set(),
      erased: new Map(),
      plain: new PlainMessages(),
      pending: [],
      inbound: new Map(),
    },
  ) {}

  /** A writer in the same transaction, sharing lookups and collected rows, recording into `outcome`. */
  withOutcome(outcome: Outcome): ConversationWriter {
    return new ConversationWriter(this.tx, outcome, this.shared);
  }

  /** Looks up many people in one query (every sender of a webhook batch) instead of one per event. */
  async prefetch(people: Person[]): Promise<void> {
    const unknown = people.filter((p) => !this.shared.threads.has(threadKey(p.pageId, p.psid)));
    const [found, erased] = await Promise.all([findThreads(this.tx, unknown), erasedAt(this.tx, unknown)]);
    for (const p of unknown) {
      const key = threadKey(p.pageId, p.psid);
      const thread = found.get(key);
      if (thread) this.shared.threads.set(key, thread);
      else this.shared.absent.add(key);
      this.shared.erased.set(key, erased.get(key));
    }
  }

  /**
   * Whether an event at `at` from this person comes from before their data was erased (a late
   * retry from Meta): such an event must not bring them back. Prefetched people cost no query.
   */
  async fromBeforeErasure(pageId: string, psid: string, at: number): Promise<boolean> {
    const key = threadKey(pageId, psid);
    if (!this.shared.erased.has(key)) this.shared.erased.set(key, (await erasedAt(this.tx, [{ pageId, psid }])).get(key));
    const erased = this.shared.erased.get(key);
    return erased !== undefined && at <= erased;
  }

  /** The person's thread, if they have written before (looked up once per transaction). */
  async find(pageId: string, psid: string): Promise<Thread | undefined> {
    const key = threadKey(pageId, psid);
    const cached = this.shared.threads.get(key);
    if (cached || this.shared.absent.has(key)) return cached;
    const known = await findThread(this.tx, pageId, psid);
    if (known) this.shared.threads.set(key, known);
    else this.shared.absent.add(key);
    return known;
  }

  /** The person's thread, created if they are new (`created` then says so). */
  async ensure(pageId: string, psid: string, at: number): Promise<{ thread: Thread; created: boolean }> {
    const known = await this.find(pageId, psid);
    if (known) return { thread: known, created: false };
    const thread = (await createThreads(this.tx, [{ pageId, psid, at }])).get(threadKey(pageId, psid))!;
    this.remember(pageId, psid, thread);
    return { thread, created: true };
  }

  private remember(pageId: string, psid: string, thread: Thread): void {
    const key = threadKey(pageId, psid);
    this.shared.threads.set(key, thread);
    this.shared.absent.delete(key);
  }

  /** A plain inbound message for the transaction's one INSERT (plain-messages.ts); recorded in this outcome. */
  async collectPlain(row: Omit<PlainMessage, 'outcome' | 'conversationId'>): Promise<void> {
    // Someone new is created at the flush, with the batch's other new people.
    const thread = await this.find(row.pageId, row.psid);
    this.shared.plain.add({ ...row, outcome: this.outcome, conversationId: thread?.conversationId });
  }

  /**
   * Writes the plain messages collected so far, first creating the threads of the new people among
   * them, all together. Returns those new threads with the outcome of the work that introduced each.
   */
  async flushPlain(): Promise<{ thread: Thread; outcome: Outcome }[]> {
    const newcomers = this.shared.plain.newcomers();
    const created: { thread: Thread; outcome: Outcome }[] = [];
    if (newcomers.length > 0) {
      const threads = await createThreads(this.tx, newcomers);
      for (const n of newcomers) {
        const thread = threads.get(threadKey(n.pageId, n.psid))!;
        this.remember(n.pageId, n.psid, thread);
        created.push({ thread, outcome: n.outcome });
      }
    }
    const stored = await this.shared.plain.flush(
      this.tx,
      (pageId, psid) => this.shared.threads.get(threadKey(pageId, psid))!.conversationId,
    );
    for (const m of stored) this.customerWrote(m.conversationId, m.messageId);
    return created;
  }

  /** A new message from the customer: the AI may answer it (queueAiReplies, at the end of the transaction). */
  customerWrote(conversationId: number, messageId: number): void {
    const newest = this.shared.inbound.get(conversationId);
    if (newest === undefined || messageId > newest) this.shared.inbound.set(conversationId, messageId);
  }

  /**
   * The last step of a transaction that stored customer messages: the AI's answer to each of their
   * conversations is queued with them (ai-state.ts), so a crash cannot lose it. Once per transaction.
   */
  async queueFollowUps(): Promise<number> {
    if (this.shared.inbound.size === 0) return 0;
    const conversationIds = [...this.shared.inbound.keys()];
    this.shared.inbound.clear();
    return queueAiReplies(this.tx, conversationIds);
  }

  /** A write nothing needs to wait for (a conversation touch); settled before the commit. */
  later(write: Promise<unknown>): void {
    this.shared.pending.push(write);
  }

  /** Waits for the writes issued without waiting; a failure among them fails the transaction. */
  async settle(): Promise<void> {
    const pending = this.shared.pending.splice(0);
    await Promise.all(pending);
  }
}
