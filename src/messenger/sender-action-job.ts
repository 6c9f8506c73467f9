// Job: tell Messenger a person has seen the conversation (`mark_seen`), so the customer sees "Seen".
// Best effort: sandbox mode skips it, and a failure is retried a few times, then dropped.
import type { Config } from '../config';
import type { Db } from '../core/db';
import { RetryLater } from '../core/queue';
import { channelState, graphClient } from './channel';
import { GraphError } from './graph';

export function senderActionJob(db: Db, config: Config) {
  return async (payload: Record<string, unknown>, job: { attempts: number }): Promise<void> => {
    const state = await channelState(db, config);
    const graph = graphClient(config, state);
    if (!graph || state.tokenState === 'invalid') return;
    const contact = await db.get<{ psid: string }>(
      'SELECT k.psid FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = ?',
      [Number(payload.conversationId)],
    );
    if (!contact) return;
    try {
      await graph.senderAction(contact.psid, payload.action === 'typing_on' ? 'typing_on' : 'mark_seen');
    } catch (err) {
      if (err instanceof GraphError && err.kind === 'transient' && job.attempts < 3) throw new RetryLater(err.message, 10_000);
      // Not worth more: a missed "Seen" marker loses nothing.
    }
  };
}
