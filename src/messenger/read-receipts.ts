// Telling the customer "Seen" (Messenger's mark_seen, sent by a job): only when a person has the
// conversation in front of them, which the page says with a POST (never a page load: a GET, which a
// link on another site can cause, must not reach Meta), and once per new message from the customer.
// In sandbox mode there is nobody to tell.
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

  /** Returns whether Messenger will be told (something new was seen, and a Page is connected). */
  async seen(conversationId: number): Promise<boolean> {
    if (!(await this.workflow.seenByStaff(conversationId))) return false;
    if ((await this.channel.state()).sandbox) return false;
    await enqueueJob(this.db, 'messenger.sender_action', { conversationId, action: 'mark_seen' });
    void this.queue.kick();
    return true;
  }
}
