// The outbox: the one way a reply leaves ChatX, whoever writes it (a person in the inbox, the JSON
// API, and the AI). queue() checks the reply and the 24-hour window, commits the message and
// its outbox row in one transaction, announces it to every open tab and kicks the sender
// (sender.ts), which a cron job also sweeps; so a crash or restart never loses a reply, and
// echoes and per-part progress keep it from being sent twice. Held replies (while Meta refuses
// the Page token) are released here once a token works.
import type { Db } from '../../core/db';
import { AppError, notFound } from '../../core/errors';
import { aiAnswered, personAnswered } from '../../conversations/ai-state';
import { addReply, checkReply, requeue, type OutgoingFile } from '../../conversations/outbound';
import { decideWindow, type SentBy } from '../../conversations/reply-window';
import type { Conversations } from '../../conversations/service';
import { claim } from '../../conversations/workflow';
import type { Channel } from '../channel';
import { GraphError, splitText } from '../graph';
import { log } from '../../core/log';
import * as rows from './rows';
import { OutboxSender } from './sender';

export interface Reply {
  conversationId: number;
  text?: string;
  files?: OutgoingFile[];
  sentBy: SentBy;
  /** The person writing; with `claim`, an unassigned conversation becomes theirs. */
  userId?: number;
  claim?: boolean;
  /**
   * An AI reply: the customer messages it answers (up to this id) and whether it carries the
   * automated-assistant disclosure. Refused (AiAnswerStale) when they were answered already or a
   * person took over meanwhile, in the same transaction, so it is never sent twice.
   */
  ai?: { through: number; disclosed: boolean };
}

export class Outbox {
  private readonly sender: OutboxSender;

  constructor(
    private readonly db: Db,
    private readonly conversations: Conversations,
    private readonly channel: Channel,
  ) {
    this.sender = new OutboxSender(db, conversations, channel);
  }

  /** Queues a reply: refused before anything is stored when Messenger would refuse it. */
  async queue(reply: Reply): Promise<{ id: number; status: 'queued' }> {
    const text = (reply.text ?? '').trim();
    const files = reply.files ?? [];
    checkReply(text, files);
    const { humanAgentEnabled } = await this.channel.state();
    const id = await this.conversations.write(async (w) => {
      const conversation = await w.tx.get<{ last_inbound_at: number | null }>(
        'SELECT last_inbound_at FROM conversations WHERE id = ?',
        [reply.conversationId],
      );
      if (!conversation) throw notFound('That conversation does not exist.');
      const window = decideWindow({ lastInboundAt: conversation.last_inbound_at, sentBy: reply.sentBy, humanAgentEnabled });
      if (!window.ok) throw new AppError(422, window.code, window.reason);
      if (reply.ai) await aiAnswered(w, reply.conversationId, reply.ai.through, reply.ai.disclosed);
      // A person's reply: the AI stays quiet in this conversation from now on (conversations/ai-state.ts).
      if (reply.sentBy === 'user') await personAnswered(w, reply.conversationId);
      const messageId = await addReply(w, {
        conversationId: reply.conversationId,
        text,
        files,
        sentBy: reply.sentBy,
        userId: reply.userId,
      });
      await rows.insertRow(w.tx, messageId, reply.conversationId, files.length + (text ? splitText(text).length : 0));
      if (reply.claim && reply.userId !== undefined) await claim(w, reply.conversationId, reply.userId);
      return messageId;
    });
    void this.kick();
    return { id, status: 'queued' };
  }

  /** Puts a failed reply back in the queue; the window is checked again when it is sent. */
  async retry(messageId: number, conversationId?: number): Promise<void> {
    await this.conversations.write(async (w) => {
      await requeue(w, messageId, conversationId);
      await rows.resetForRetry(w.tx, messageId);
    });
    void this.kick();
  }

  /** A token works (a new one was saved, or a test call succeeded): held replies go out now. */
  async tokenWorks(): Promise<void> {
    if ((await this.channel.state()).tokenState === 'invalid') await this.channel.tokenAccepted();
    await rows.releaseHeld(this.db);
    void this.kick();
  }

  /**
   * While Meta refuses the Page token (replies are held), asks Meta again (GET /me; a cron job does
   * this every minute): once the token works, held replies go out by themselves. Returns whether
   * they were released.
   */
  async probeToken(signal?: AbortSignal): Promise<boolean> {
    const state = await this.channel.state();
    if (state.sandbox || state.tokenState !== 'invalid') return false;
    try {
      await this.channel.graph(state, signal)!.me();
    } catch (err) {
      if (err instanceof GraphError) return false; // still refused, or Meta unreachable: next minute
      throw err;
    }
    log.info('the Page token works again; held replies go out');
    await this.tokenWorks();
    return true;
  }

  kick(): Promise<void> {
    return this.sender.kick();
  }

  stop(): Promise<void> {
    return this.sender.stop();
  }
}
