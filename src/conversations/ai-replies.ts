// The AI's answers, queued with the customer messages they answer: the last step of every
// transaction that stored a customer message (ConversationWriter.queueFollowUps), the webhook's
// writer thread included, so a crash cannot lose one. The job itself is src/ai/reply-job.ts.
import type { Queryable } from '../core/db';
import { requeueJob } from '../core/queue';

export type AiMode = 'off' | 'suggest' | 'auto';

/** The settings row the AI keeps current (src/ai/settings.ts): absent or unparsable means AI is off. */
export const AI_REPLIES_SETTING = 'ai.replies';
export const AI_REPLY_JOB = 'ai.reply';

/**
 * Queues the AI's answer to the customer messages just stored, in their transaction (returns how
 * many): one job per
 * conversation, pushed back by each new message for the debounce, so a burst gets one answer. Only
 * where it could answer: AI on, the conversation not set to off, the person not excluded, and no
 * person holding the conversation.
 */
export async function queueAiReplies(tx: Queryable, conversationIds: number[]): Promise<number> {
  const row = await tx.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [AI_REPLIES_SETTING]);
  if (!row) return 0;
  let setting: { mode: AiMode; debounceMs: number };
  try {
    setting = JSON.parse(row.value) as typeof setting;
  } catch {
    return 0;
  }
  const eligible = await tx.all<{ id: number }>(
    `SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id
     WHERE c.id IN (SELECT value FROM json_each(?)) AND k.no_ai = 0 AND c.ai_state = 'ready'
       AND COALESCE(c.ai_mode, ?) != 'off'`,
    [JSON.stringify(conversationIds), setting.mode],
  );
  const runAt = Date.now() + Math.max(0, Number(setting.debounceMs) || 0);
  for (const { id } of eligible) await requeueJob(tx, AI_REPLY_JOB, { conversationId: id }, `${AI_REPLY_JOB}:${id}`, runAt);
  return eligible.length;
}
