// The AI's standing in a conversation (migrations/0014_ai.sql): whether it may answer ('ready'),
// handed over ('needs_person'), or stays quiet because a person answered ('person'); the newest
// customer message it has dealt with (so old history never triggers it again); a per-conversation
// mode; and the per-person "no AI" switch. This file is the only writer of those columns. The AI
// itself (src/ai/) decides; these are the rows its decisions change, announced like any change.
import { AppError } from '../core/errors';
import type { AiMode } from './ai-replies';
import { conversationChanged, handedOver } from './changes';
import type { ConversationWriter } from './writer';

export type { AiMode } from './ai-replies';
export type AiState = 'ready' | 'needs_person' | 'person';

/** A person answered (in the inbox, the API, or Meta's own tools): the AI stays quiet here. */
export async function personAnswered(w: ConversationWriter, conversationId: number): Promise<void> {
  const { changes } = await w.tx.run(
    "UPDATE conversations SET ai_state = 'person', ai_reason = NULL WHERE id = ? AND ai_state != 'person'",
    [conversationId],
  );
  if (changes) conversationChanged(w.outcome, conversationId);
}

/** Thrown inside the reply's transaction when the AI's answer is no longer wanted; nothing is queued. */
export class AiAnswerStale extends AppError {
  constructor() {
    super(409, 'ai-answer-stale', 'A person took over, or this was answered already.');
  }
}

/**
 * The AI answered the customer's messages up to `through` (in the reply's transaction): refused
 * with AiAnswerStale when that was done already (a resumed job after a crash) or a person took over
 * meanwhile, so the answer is never sent twice nor over a person's.
 */
export async function aiAnswered(
  w: ConversationWriter,
  conversationId: number,
  through: number,
  disclosed: boolean,
): Promise<void> {
  const { changes } = await w.tx.run(
    `UPDATE conversations SET ai_through = ?, ai_reason = NULL,
       ai_disclosed_at = CASE WHEN ? THEN ? ELSE ai_disclosed_at END
     WHERE id = ? AND ai_state = 'ready' AND COALESCE(ai_through, 0) < ?`,
    [through, disclosed ? 1 : 0, Date.now(), conversationId, through],
  );
  if (!changes) throw new AiAnswerStale();
  conversationChanged(w.outcome, conversationId);
}

/**
 * The AI dealt with the messages up to `through` without sending (a draft made, or a reply it
 * would not send, with `reason` shown in the conversation). Returns false when that was done already.
 */
export async function aiPassed(
  w: ConversationWriter,
  conversationId: number,
  through: number,
  reason: string | null,
): Promise<boolean> {
  const { changes } = await w.tx.run(
    'UPDATE conversations SET ai_through = ?, ai_reason = ? WHERE id = ? AND COALESCE(ai_through, 0) < ?',
    [through, reason, conversationId, through],
  );
  if (changes) conversationChanged(w.outcome, conversationId);
  return changes > 0;
}

/**
 * The AI hands the conversation to a person: flagged "needs a person" with the reason, assigned to
 * `assigneeId` when it has nobody yet, and announced to every open tab; the AI stays quiet here.
 */
export async function handOver(
  w: ConversationWriter,
  conversationId: number,
  input: { reason: string; through?: number; assigneeId?: number },
): Promise<boolean> {
  const { changes } = await w.tx.run(
    `UPDATE conversations SET ai_state = 'needs_person', ai_reason = ?,
       ai_through = MAX(COALESCE(ai_through, 0), COALESCE(?, 0)),
       assignee_id = COALESCE(assignee_id, ?), updated_at = ?
     WHERE id = ? AND ai_state = 'ready'`,
    [input.reason, input.through ?? null, input.assigneeId ?? null, Date.now(), conversationId],
  );
  if (!changes) return false;
  conversationChanged(w.outcome, conversationId);
  handedOver(w.outcome, conversationId, input.reason);
  return true;
}

/**
 * The AI may answer again (someone handed it back, or the conversation was resolved): only messages
 * the customer writes from now on count, never those before.
 */
export async function aiReady(w: ConversationWriter, conversationId: number): Promise<void> {
  const { changes } = await w.tx.run(
    `UPDATE conversations SET ai_state = 'ready', ai_reason = NULL,
       ai_through = MAX(COALESCE(ai_through, 0), COALESCE((SELECT MAX(id) FROM messages
         WHERE conversation_id = conversations.id AND direction = 'in'), 0))
     WHERE id = ? AND (ai_state != 'ready' OR ai_reason IS NOT NULL)`,
    [conversationId],
  );
  if (changes) conversationChanged(w.outcome, conversationId);
}

/** This conversation's own mode (null: follow Settings). */
export async function setAiMode(w: ConversationWriter, conversationId: number, mode: AiMode | null): Promise<void> {
  await w.tx.run('UPDATE conversations SET ai_mode = ? WHERE id = ?', [mode, conversationId]);
  conversationChanged(w.outcome, conversationId);
}

/** The per-person "no AI" switch: the AI never answers nor drafts for this person. */
export async function setNoAi(w: ConversationWriter, contactId: number, noAi: boolean): Promise<void> {
  await w.tx.run('UPDATE contacts SET no_ai = ?, updated_at = ? WHERE id = ?', [noAi ? 1 : 0, Date.now(), contactId]);
  const conversation = await w.tx.get<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [contactId]);
  if (conversation) conversationChanged(w.outcome, conversation.id);
}
