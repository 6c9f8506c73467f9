// The outbox's sender: delivers the replies the outbox queued, part by part, through the Graph
// client. It is kicked right after each commit and swept by a cron job; the reply window is checked
// again before every send, errors are mapped by family (retry with backoff, hold for a new token,
// or fail with a reason shown on the message), and each part carries metadata whose echo proves it
// went, so a crash never sends a part twice.
import type { Db } from '../../core/db';
import { log } from '../../core/log';
import { backoffMs } from '../../core/queue';
import { Rerunner } from '../../core/rerun';
import { fileType, markFailed, markSandbox, markSent, partSent, replyFiles, replyTarget } from '../../conversations/outbound';
import { decideWindow } from '../../conversations/reply-window';
import type { Conversations } from '../../conversations/service';
import type { Channel, ChannelState } from '../channel';
import { GraphError, splitText, type GraphClient, type OutgoingPart } from '../graph';
import { outboxMetadata } from './metadata';
import * as rows from './rows';
import type { DueItem } from './rows';

export const MAX_SEND_ATTEMPTS = 10;
/** A send interrupted by a crash is retried only after this long without an echo proving it went. */
export const SENDING_GRACE_MS = 2 * 60 * 1000;

export class OutboxSender {
  private readonly runner = new Rerunner('outbox', () => this.pass());
  /** Aborted when a stop runs out of patience: a part in flight is left 'sending' (see SENDING_GRACE_MS). */
  private readonly abandon = new AbortController();

  constructor(
    private readonly db: Db,
    private readonly conversations: Conversations,
    private readonly channel: Channel,
  ) {}

  /** Sends whatever is due now; concurrent kicks coalesce into one more pass. */
  kick(): Promise<void> {
    return this.runner.kick();
  }

  /** No new passes; a send still in flight after `graceMs` is abandoned, and proven or retried after the restart. */
  stop(graceMs = 2000): Promise<void> {
    return this.runner.stop(graceMs, () => this.abandon.abort(new Error('ChatX is stopping')));
  }

  private async pass(): Promise<void> {
    const state = await this.channel.state();
    await rows.recoverInterrupted(this.db, Date.now() - SENDING_GRACE_MS);
    if (state.sandbox) return this.sandboxPass();
    if (state.tokenState === 'invalid') return rows.holdPending(this.db);
    await rows.releaseHeld(this.db);
    const graph = this.channel.graph(state, this.abandon.signal)!;
    for (;;) {
      if (this.runner.isStopped) return;
      const due = await rows.dueItems(this.db, Date.now());
      if (due.length === 0) return;
      for (const item of due) {
        if ((await this.deliver(item, graph, state)) === 'stop') return;
      }
    }
  }

  /** Sandbox mode: nothing goes to Meta; each reply is marked `sandbox` instead of sent. */
  private async sandboxPass(): Promise<void> {
    for (const item of await rows.waiting(this.db)) {
      await this.conversations.write(async (w) => {
        await markSandbox(w, item.message_id);
        await rows.finish(w.tx, item.id, 'done');
      });
    }
  }

  private async parts(messageId: number, text: string | null): Promise<OutgoingPart[]> {
    const files = await replyFiles(this.db, messageId);
    const parts: OutgoingPart[] = files.map((f) => {
      const contentType = f.content_type ?? 'application/octet-stream';
      return { file: { data: f.data!, contentType, name: f.name ?? 'file', type: fileType(contentType) } };
    });
    if (text) for (const part of splitText(text)) parts.push({ text: part });
    return parts;
  }

  private async deliver(item: DueItem, graph: GraphClient, state: ChannelState): Promise<'ok' | 'stop'> {
    if (!(await rows.claim(this.db, item.id))) return 'ok';
    const target = await replyTarget(this.db, item.message_id);
    if (!target) {
      await rows.finish(this.db, item.id, 'done');
      return 'ok';
    }
    // Decided at send time: a retry after hours must not go out as RESPONSE.
    const window = decideWindow({
      lastInboundAt: target.last_inbound_at,
      sentBy: target.sent_by,
      humanAgentEnabled: state.humanAgentEnabled,
    });
    if (!window.ok) {
      await this.fail(item, window.code, window.reason);
      return 'ok';
    }
    const parts = await this.parts(item.message_id, target.text);
    for (let i = (await rows.partsSent(this.db, item.id)) ?? item.parts_sent; i < parts.length; i++) {
      // Meta's read/delivery watermarks are in Meta's time of the message, which is between the
      // request and its answer: take the request's start, not the (later) moment the answer came.
      const requestedAt = Date.now();
      try {
        const { messageId: mid } = await graph.send({
          psid: target.psid,
          messagingType: window.messagingType,
          tag: window.tag,
          part: parts[i],
          metadata: outboxMetadata(item.message_id, i),
        });
        await this.conversations.write(async (w) => {
          await rows.recordPart(w.tx, item.id, i + 1);
          await partSent(w, item.message_id, mid, requestedAt);
        });
      } catch (err) {
        // Stopping: nothing is recorded, so the part stays 'sending' and an echo can still prove it went.
        if (this.abandon.signal.aborted) return 'stop';
        if (!(err instanceof GraphError)) throw err;
        return this.handleError(item, err, state.token);
      }
    }
    await this.conversations.write(async (w) => {
      await rows.finish(w.tx, item.id, 'done');
      await markSent(w, item.message_id);
      await this.channel.sent(w.tx);
    });
    return 'ok';
  }

  private async handleError(item: DueItem, err: GraphError, token?: string): Promise<'ok' | 'stop'> {
    log.warn('send failed', {
      message: item.message_id,
      kind: err.kind,
      code: err.code,
      subcode: err.subcode,
      error: err.message,
    });
    switch (err.kind) {
      case 'token':
        // Inbound keeps working; replies wait (held, not lost) until the owner gives a new token.
        await this.channel.tokenRejected(token, err.message);
        await rows.hold(this.db, item.id, err.message);
        await rows.holdPending(this.db);
        return 'stop';
      case 'transient': {
        const attempts = item.attempts + 1;
        if (attempts >= MAX_SEND_ATTEMPTS) {
          await this.fail(item, 'meta-unavailable', `Meta kept failing (${err.message}). Try again later.`);
          return 'ok';
        }
        await rows.retryLater(this.db, item.id, Date.now() + backoffMs(attempts, 2000, 10 * 60 * 1000), err.message);
        return 'ok';
      }
      case 'unavailable':
        await this.fail(item, 'person-unavailable', "This person isn't receiving messages from the Page right now.");
        return 'ok';
      case 'window':
        await this.fail(item, 'outside-messaging-window', 'Messenger refused: the reply window with this person has closed.');
        return 'ok';
      default:
        await this.fail(item, `meta-${err.code ?? 'error'}`, err.message);
        return 'ok';
    }
  }

  private async fail(item: DueItem, code: string, message: string): Promise<void> {
    await this.conversations.write(async (w) => {
      await rows.finish(w.tx, item.id, 'failed', message);
      await markFailed(w, item.message_id, code, message);
    });
  }
}
