// The AI's answer to a customer, as a job (kind 'ai.reply', one per conversation). The job is
// queued in the transaction that stored the customer's message (conversations/ai-replies.ts) and
// pushed back by each further message for the debounce, so a burst gets one answer. It runs when
// the customer has been quiet that long: it answers only messages newer than those it dealt with,
// hands over when it should, retries a provider's 429/5xx with backoff (the job survives restarts),
// and sends through the one outbox. The outbox's transaction records what the answer covered, so a
// job resumed after a crash finds it answered and sends nothing twice.
import type { Db } from '../core/db';
import { AppError } from '../core/errors';
import { log } from '../core/log';
import { backoffMs, RetryLater, type JobHandler } from '../core/queue';
import type { Bus } from '../core/bus';
import { AiAnswerStale, aiPassed, type AiMode } from '../conversations/ai-state';
import { decideWindow } from '../conversations/reply-window';
import type { Conversations } from '../conversations/service';
import type { Outbox } from '../messenger/outbox/outbox';
import type { Assistant } from './assistant';
import { saveDraft } from './drafts';
import { capReached } from './ledger';
import { asksForPerson, parseAnswer } from './prompt';
import { ProviderError } from './providers/provider';
import { usable, withinHours } from './settings';

/** Calls a job makes for one burst before it hands over (each failure is retried with backoff). */
export const AI_MAX_ATTEMPTS = 4;

interface Standing {
  ai_mode: AiMode | null;
  ai_state: string;
  ai_through: number | null;
  ai_disclosed_at: number | null;
  last_inbound_at: number | null;
  no_ai: number;
  newest_in: number | null;
}

export function aiReplyJob(deps: {
  db: Db;
  assistant: Assistant;
  conversations: Conversations;
  outbox: Outbox;
  bus: Bus;
}): JobHandler {
  const { db, assistant, conversations, outbox, bus } = deps;
  return async (payload, job) => {
    const conversationId = Number(payload.conversationId);
    const s = await assistant.settings();
    if (!usable(s) || s.paused) return;
    const c = await db.get<Standing>(
      `SELECT c.ai_mode, c.ai_state, c.ai_through, c.ai_disclosed_at, c.last_inbound_at, k.no_ai,
         (SELECT MAX(id) FROM messages WHERE conversation_id = c.id AND direction = 'in') AS newest_in
       FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = ?`,
      [conversationId],
    );
    if (!c || c.no_ai || c.ai_state !== 'ready') return;
    const mode = c.ai_mode ?? s.mode;
    const through = c.newest_in;
    // Only what the customer wrote since the AI last dealt with them; never old history.
    if (mode === 'off' || !through || through <= (c.ai_through ?? 0)) return;
    const pass = (reason: string | null) => conversations.write((w) => aiPassed(w, conversationId, through, reason));

    // The customer's unanswered words: since the AI last dealt with them and since the last reply.
    const fresh = await db.all<{ text: string | null }>(
      `SELECT text FROM messages WHERE conversation_id = ? AND direction = 'in' AND id > MAX(?,
         COALESCE((SELECT MAX(id) FROM messages WHERE conversation_id = ? AND direction = 'out'), 0)) ORDER BY id`,
      [conversationId, c.ai_through ?? 0, conversationId],
    );
    if (asksForPerson(fresh.map((m) => m.text ?? '').join('\n'))) {
      await assistant.handOver(conversationId, 'The customer asked for a person.', through);
      return;
    }
    // "Auto only outside business hours": within them the AI drafts for staff instead.
    const answers = mode === 'auto' && !(s.autoOutsideHoursOnly && withinHours(s.hours)) ? 'auto' : 'suggest';
    if (answers === 'auto') {
      // AI replies go only inside the 24-hour window, never with the HUMAN_AGENT tag (docs/ai.md).
      const window = decideWindow({ lastInboundAt: c.last_inbound_at, sentBy: 'ai', humanAgentEnabled: false });
      if (!window.ok) return void (await pass(`The AI did not answer: ${window.reason}`));
    }
    const cap = await capReached(db, s.caps, conversationId);
    if (cap) {
      if (answers === 'auto') await assistant.handOver(conversationId, cap, through);
      else await pass(cap);
      return;
    }

    const prompt = await assistant.replyPrompt(s, conversationId);
    let answer;
    try {
      answer = await assistant.call(s, {
        purpose: answers === 'auto' ? 'reply' : 'suggest',
        conversationId,
        system: prompt.system,
        turns: prompt.turns,
        signal: job.signal,
      });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const paused = (await assistant.settings()).paused;
      if (err.retryable && job.attempts < AI_MAX_ATTEMPTS && !paused)
        throw new RetryLater(err.message, err.retryAfterMs ?? backoffMs(job.attempts, 2000, 60_000));
      await assistant.handOver(conversationId, `The AI could not answer: ${err.message}`, through);
      return;
    }

    const parsed = parseAnswer(answer.text);
    if (answer.refused) return void (await assistant.handOver(conversationId, 'The AI declined to answer.', through));
    if (!parsed.ok) return void (await assistant.handOver(conversationId, parsed.reason, through));
    if (parsed.needsPerson || !parsed.reply)
      return void (await assistant.handOver(conversationId, parsed.reason || 'The AI thinks a person should answer.', through));

    if (answers === 'suggest') {
      const made = await conversations.write(async (w) => {
        if (!(await aiPassed(w, conversationId, through, null))) return false;
        await saveDraft(w.tx, conversationId, parsed.reply);
        return true;
      });
      if (made) bus.emit('draft', { conversationId });
      return;
    }
    // Meta asks automated replies to say so where the law requires it: the first one here does.
    const disclose = s.disclose && !c.ai_disclosed_at;
    try {
      await outbox.queue({
        conversationId,
        text: disclose ? `${s.disclosure}\n\n${parsed.reply}` : parsed.reply,
        sentBy: 'ai',
        ai: { through, disclosed: disclose },
      });
    } catch (err) {
      // Answered already (a resumed job), or a person took over while the model was thinking.
      if (err instanceof AiAnswerStale) return log.info('an AI answer was no longer wanted', { conversationId });
      if (err instanceof AppError && err.status < 500) return void (await pass(`The AI did not answer: ${err.message}`));
      throw err;
    }
  };
}
