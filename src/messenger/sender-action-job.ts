// Job: tell Messenger a person has seen the conversation (`mark_seen`), so the customer sees "Seen".
// Best effort: sandbox mode skips it, and a failure is retried a few times, then dropped.
import type { Db } from '../core/db';
import { RetryLater } from '../core/queue';
import { getConversation } from '../conversations/queries';
import type { Channel } from './channel';
import { GraphError } from './graph';

export function senderActionJob(db: Db, channel: Channel) {
  return async (payload: Record<string, unknown>, job: { attempts: number; signal: AbortSignal }): Promise<void> => {
    const state = await channel.state();
    const graph = channel.graph(state, job.signal);
    if (!graph || state.tokenState === 'invalid') return;
    const conversation = await getConversation(db, Number(payload.conversationId));
    if (!conversation) return;
    try {
      await graph.senderAction(conversation.psid, payload.action === 'typing_on' ? 'typing_on' : 'mark_seen');
    } catch (err) {
      if (err instanceof GraphError && err.kind === 'transient' && job.attempts < 3) throw new RetryLater(err.message, 10_000);
      // Not worth more: a missed "Seen" marker loses nothing.
    }
  };
}
