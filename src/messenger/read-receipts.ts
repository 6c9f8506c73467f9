// A person read a conversation (opened it, or a message arrived while it was open): it is no longer
// unread, and the customer is told "Seen" (mark_seen, sent by a job after this returns), unless
// there is nobody to tell: in sandbox mode nothing goes to Meta.
import type { Db } from '../core/db';
import { enqueueJob, type JobQueue } from '../core/queue';
import type { Workflow } from '../conversations/workflow';
import type { Channel } from './channel';

export class ReadReceipts {
  constructor(
    private readonly db: Db,
    private readonly workflow: Workflow,
    private readonly queue: JobQueue,
    private readonly channel: Channel,
  ) {}

  /** Marks the conversation read; only something unread makes Messenger say "Seen". */
  async read(conversationId: number): Promise<void> {
    if (!(await this.workflow.markRead(conversationId))) return;
    if ((await this.channel.state()).sandbox) return;
    await enqueueJob(this.db, 'messenger.sender_action', { conversationId, action: 'mark_seen' });
    void this.queue.kick();
  }
}
