// The AI assistant: answers customers (auto), drafts answers for staff (suggest), helps in the
// composer (improve, shorten, translate, summarize), and hands conversations to a person when it
// should. It never runs behind a person's back: once a person answers, it is quiet in that
// conversation (conversations/ai-state.ts), and its replies go only through the one outbox, only
// inside the 24-hour window, never with the HUMAN_AGENT tag. Answers to customers are jobs
// (reply-job.ts); this class holds what the job, the routes and Settings share.
import type { Config } from '../config';
import type { Bus } from '../core/bus';
import type { Db } from '../core/db';
import { AppError, badRequest } from '../core/errors';
import { log } from '../core/log';
import { aiReady, handOver, setAiMode, setNoAi, type AiMode } from '../conversations/ai-state';
import type { Conversations } from '../conversations/service';
import { getBusinessProfile } from '../settings/store';
import { dropDraft, saveDraft } from './drafts';
import { loadKnowledgeFile, retrieveKnowledge } from './knowledge';
import { capReached, failuresInARow, recordCall, type Call, type Purpose } from './ledger';
import { helperPrompt, parseAnswer, recentMessages, systemPrompt, turns, type HistoryMessage } from './prompt';
import { AnthropicProvider } from './providers/anthropic';
import { OpenAiProvider } from './providers/openai';
import { ProviderError, type Answer, type Provider, type Turn } from './providers/provider';
import { loadAiSettings, setPaused, syncRepliesSetting, usable, type AiSettings } from './settings';

/** Failed calls in a row after which the AI pauses until the owner resumes it. */
export const PAUSE_AFTER_FAILURES = 6;
const REPLY_TOKENS = 700;

export type HelperKind = 'improve' | 'shorten' | 'translate' | 'summarize';

export class AiUnavailable extends AppError {
  constructor(message: string) {
    super(409, 'ai-unavailable', message);
  }
}

export class Assistant {
  private cached?: Promise<AiSettings>;

  constructor(
    private readonly db: Db,
    private readonly conversations: Conversations,
    private readonly bus: Bus,
    private readonly config: Config,
  ) {}

  /** The settings in force (cached; saving or pausing clears the cache). */
  settings(): Promise<AiSettings> {
    this.cached ??= loadAiSettings(this.db, this.config).catch((err: Error) => {
      this.cached = undefined;
      throw err;
    });
    return this.cached;
  }

  /** After Settings → AI saved, a pause or a resume: re-read, and keep the webhook's row true. */
  async changed(): Promise<void> {
    this.cached = undefined;
    await syncRepliesSetting(this.db, await this.settings());
  }

  /** At start (and after a restore): the knowledge file's sections, and the webhook's row. */
  async start(): Promise<void> {
    const file = this.config.ai.knowledgeFile;
    if (file) {
      try {
        const n = await loadKnowledgeFile(this.db, file);
        log.info('loaded the AI knowledge file', { file, sections: n });
      } catch (err) {
        log.error('the AI knowledge file could not be loaded', { file, error: (err as Error).message });
      }
    }
    await this.changed();
  }

  provider(s: AiSettings): Provider {
    if (!usable(s)) throw new AiUnavailable('AI is not set up: choose a provider and give its key in Settings → AI.');
    const options = { apiKey: s.apiKey, baseUrl: s.baseUrl };
    return s.provider === 'anthropic' ? new AnthropicProvider(s.model, options) : new OpenAiProvider(s.model, options);
  }

  /**
   * One call to the provider, recorded in the ledger and the audit log. A run of failures pauses
   * the AI (a banner tells the owner) instead of retrying forever.
   */
  async call(
    s: AiSettings,
    input: { purpose: Purpose; conversationId?: number; system: string; turns: Turn[]; maxTokens?: number; signal?: AbortSignal },
    actor = 'ai',
  ): Promise<Answer> {
    const provider = this.provider(s);
    const started = Date.now();
    const record = (outcome: Pick<Call, 'inputTokens' | 'outputTokens' | 'ok' | 'error'>) =>
      recordCall(
        this.db,
        {
          conversationId: input.conversationId,
          purpose: input.purpose,
          provider: provider.name,
          model: provider.model,
          ms: Date.now() - started,
          ...outcome,
        },
        actor,
      );
    try {
      const answer = await provider.complete({
        system: input.system,
        turns: input.turns,
        maxTokens: input.maxTokens ?? REPLY_TOKENS,
        signal: input.signal,
        timeoutMs: s.timeoutMs,
      });
      await record({ inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, ok: true });
      return answer;
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      await record({ inputTokens: 0, outputTokens: 0, ok: false, error: err.message });
      if (input.purpose !== 'test' && (await failuresInARow(this.db)) >= PAUSE_AFTER_FAILURES) {
        await this.pause(`The AI provider failed ${PAUSE_AFTER_FAILURES} times in a row. Last: ${err.message}`);
      }
      throw err;
    }
  }

  async pause(reason: string): Promise<void> {
    await setPaused(this.db, { at: Date.now(), reason: reason.slice(0, 400) });
    log.warn('AI paused', { reason });
    await this.changed();
  }

  async resume(): Promise<void> {
    await setPaused(this.db, undefined);
    await this.changed();
  }

  /** One real call with a tiny prompt (Settings → AI's "Test"): the answer, or the provider's error. */
  async test(actor: string): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
    const s = await this.settings();
    try {
      const answer = await this.call(
        s,
        {
          purpose: 'test',
          system: 'You check that a connection works. Answer in one short sentence.',
          turns: [{ role: 'user', content: 'Say hello to the team.' }],
          maxTokens: 60,
        },
        actor,
      );
      return { ok: true, text: answer.text.trim() || '(an empty answer)' };
    } catch (err) {
      if (err instanceof ProviderError || err instanceof AiUnavailable) return { ok: false, error: err.message };
      throw err;
    }
  }

  /** The prompt for answering this conversation now: its recent messages and the knowledge they call for. */
  async replyPrompt(
    s: AiSettings,
    conversationId: number,
  ): Promise<{ system: string; turns: Turn[]; history: HistoryMessage[] }> {
    const history = await recentMessages(this.db, conversationId);
    const customerWords = history
      .filter((m) => m.direction === 'in')
      .slice(-3)
      .map((m) => m.text ?? '')
      .join(' ');
    const [knowledge, profile, contact] = await Promise.all([
      retrieveKnowledge(this.db, customerWords),
      getBusinessProfile(this.db),
      this.db.get<{ name: string | null }>(
        'SELECT k.name FROM contacts k JOIN conversations c ON c.contact_id = k.id WHERE c.id = ?',
        [conversationId],
      ),
    ]);
    const firstName = s.useFirstName ? contact?.name?.trim().split(/\s+/)[0] : undefined;
    return { system: systemPrompt({ businessName: profile.businessName, knowledge, firstName }), turns: turns(history), history };
  }

  /** Staff asked for a suggestion now (button or shortcut): a draft in the composer, whatever the mode. */
  async suggest(conversationId: number, actor: string): Promise<string> {
    const s = await this.settings();
    await this.mayHelp(s, conversationId);
    const prompt = await this.replyPrompt(s, conversationId);
    if (prompt.turns.length === 0) throw badRequest('nothing-to-answer', 'The customer has not written anything to answer yet.');
    const answer = await this.call(s, { purpose: 'suggest', conversationId, system: prompt.system, turns: prompt.turns }, actor);
    const parsed = parseAnswer(answer.text);
    if (answer.refused || !parsed.ok || !parsed.reply)
      throw new AiUnavailable(parsed.ok ? parsed.reason || 'The AI thinks a person should answer this one.' : parsed.reason);
    await saveDraft(this.db, conversationId, parsed.reply);
    this.bus.emit('draft', { conversationId });
    return parsed.reply;
  }

  /** The composer's helpers: improve or shorten a draft, translate it, or summarize the conversation. */
  async help(kind: HelperKind, conversationId: number, draft: string, actor: string): Promise<string> {
    const s = await this.settings();
    await this.mayHelp(s, conversationId);
    const profile = await getBusinessProfile(this.db);
    let prompt: Turn[];
    if (kind === 'summarize' || kind === 'translate') {
      const history = turns(await recentMessages(this.db, conversationId, kind === 'summarize' ? 30 : 6));
      const transcript = history.map((t) => `${t.role === 'user' ? 'Customer' : 'Business'}: ${t.content}`).join('\n');
      if (!transcript) throw badRequest('nothing-to-summarize', 'There are no messages here yet.');
      prompt = [
        {
          role: 'user',
          content: kind === 'summarize' ? transcript : `Conversation:\n${transcript}\n\nDraft to translate:\n${draft}`,
        },
      ];
    } else prompt = [{ role: 'user', content: draft }];
    if (kind !== 'summarize' && !draft.trim()) throw badRequest('empty-draft', 'Write a draft first.');
    const answer = await this.call(
      s,
      { purpose: kind, conversationId, system: helperPrompt(kind, profile.businessName), turns: prompt },
      actor,
    );
    const text = answer.text.trim();
    if (!text || answer.refused) throw new AiUnavailable('The AI gave no answer; try again or write it yourself.');
    return text.slice(0, 4000);
  }

  /** Refuses (clearly) when the AI may not help here: off, paused, over a cap, or the person opted out. */
  private async mayHelp(s: AiSettings, conversationId: number): Promise<void> {
    if (!usable(s)) throw new AiUnavailable('AI is not set up: choose a provider and give its key in Settings → AI.');
    if (s.paused) throw new AiUnavailable(`AI is paused: ${s.paused.reason}`);
    const row = await this.db.get<{ no_ai: number }>(
      'SELECT k.no_ai FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = ?',
      [conversationId],
    );
    if (!row) throw new AppError(404, 'not-found', 'That conversation does not exist.');
    if (row.no_ai) throw new AiUnavailable('This person asked not to be answered by AI (their contact page has the switch).');
    const cap = await capReached(this.db, s.caps, conversationId);
    if (cap) throw new AiUnavailable(cap);
  }

  /** Hands the conversation to a person (assigned by the rule in Settings → AI) and tells everyone. */
  async handOver(conversationId: number, reason: string, through?: number): Promise<boolean> {
    const s = await this.settings();
    const assigneeId = await this.handoffAssignee(s);
    return this.conversations.write((w) => handOver(w, conversationId, { reason, through, assigneeId }));
  }

  private async handoffAssignee(s: AiSettings): Promise<number | undefined> {
    if (s.handoffTo === 'nobody') return undefined;
    if (s.handoffTo.startsWith('user:')) {
      const id = Number(s.handoffTo.slice(5));
      const user = await this.db.get<{ id: number }>("SELECT id FROM users WHERE id = ? AND status = 'active'", [id]);
      if (user) return user.id;
    }
    // The active person with the fewest open conversations.
    const least = await this.db.get<{ id: number }>(
      `SELECT u.id FROM users u WHERE u.status = 'active'
       ORDER BY (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending')), u.id LIMIT 1`,
    );
    return least?.id;
  }

  /** Someone hands the conversation back: the AI answers the customer's next message (not older ones). */
  async handBack(conversationId: number): Promise<void> {
    await this.conversations.write((w) => aiReady(w, conversationId));
  }

  async setMode(conversationId: number, mode: AiMode | null): Promise<void> {
    await this.conversations.write((w) => setAiMode(w, conversationId, mode));
  }

  async setNoAi(contactId: number, noAi: boolean): Promise<void> {
    await this.conversations.write(async (w) => {
      await setNoAi(w, contactId, noAi);
      if (noAi) {
        const c = await w.tx.get<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [contactId]);
        if (c) await dropDraft(w.tx, c.id);
      }
    });
  }

  async dismissDraft(conversationId: number): Promise<void> {
    await dropDraft(this.db, conversationId);
  }
}
