// The outbox's sender: delivers what queueMessage (outbox.ts) wrote, part by part, through the
// Graph client. It is kicked right after each commit and swept by a cron job; the 24-hour window is
// checked again before every send, errors are mapped by family (retry with backoff, hold for a new
// token, or fail with a reason shown on the message), and each part carries metadata whose echo
// proves it went, so a crash never sends a part twice.
import type { Config } from '../config';
import type { Bus } from '../core/bus';
import type { Db } from '../core/db';
import { log } from '../core/log';
import { backoffMs } from '../core/queue';
import { Rerunner } from '../core/rerun';
import { setSetting } from '../settings/store';
import { channelState, graphClient, markTokenInvalid } from './channel';
import { GraphError, splitText, type OutgoingPart } from './graph';
import { outboxMetadata } from './metadata';
import { MAX_SEND_ATTEMPTS, SENDING_GRACE_MS } from './outbox';
import { decideWindow, type SentBy } from './window';

interface DueItem {
  id: number;
  message_id: number;
  conversation_id: number;
  attempts: number;
  parts_sent: number;
  parts_total: number;
}

export class OutboxSender {
  private readonly runner = new Rerunner('outbox', () => this.pass());

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly bus: Bus,
  ) {}

  /** Sends whatever is due now; concurrent kicks coalesce into one more pass. */
  kick(): Promise<void> {
    return this.runner.kick();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private changed(conversationId: number, messageId: number): void {
    this.bus.emit('message', { conversationId, messageId, change: 'updated' });
    this.bus.emit('conversation', { conversationId });
  }

  private async pass(): Promise<void> {
    const state = await channelState(this.db, this.config);
    const now = Date.now();
    // After a crash mid-send: give the echo a grace period to prove the part went, then retry.
    await this.db.run("UPDATE outbox SET state = 'pending' WHERE state = 'sending' AND attempt_started_at < ?", [
      now - SENDING_GRACE_MS,
    ]);
    if (state.sandbox) return this.sandboxPass();
    if (state.tokenState === 'invalid') {
      await this.db.run("UPDATE outbox SET state = 'held' WHERE state = 'pending'");
      return;
    }
    await this.db.run("UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE state = 'held'", [now]);
    const graph = graphClient(this.config, state)!;
    for (;;) {
      if (this.runner.isStopped) return;
      // The oldest unsent item of each conversation, so replies go out in the order they were written.
      const due = await this.db.all<DueItem>(
        `SELECT o.id, o.message_id, o.conversation_id, o.attempts, o.parts_sent, o.parts_total FROM outbox o
         WHERE o.state = 'pending' AND o.next_attempt_at <= ?
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation_id = o.conversation_id AND p.id < o.id
                           AND p.state IN ('pending', 'sending', 'held'))
         ORDER BY o.id LIMIT 20`,
        [Date.now()],
      );
      if (due.length === 0) return;
      for (const item of due) {
        const outcome = await this.deliver(item, graph, state.humanAgentEnabled, state.token);
        if (outcome === 'stop') return;
      }
    }
  }

  /** Sandbox mode: nothing goes to Meta; each reply is marked `sandbox` instead of sent. */
  private async sandboxPass(): Promise<void> {
    const items = await this.db.all<{ message_id: number; conversation_id: number }>(
      "SELECT message_id, conversation_id FROM outbox WHERE state IN ('pending', 'held') ORDER BY id",
    );
    for (const item of items) {
      await this.db.transaction(async (tx) => {
        await tx.run("UPDATE messages SET status = 'sandbox', sent_at = ? WHERE id = ? AND status = 'queued'", [
          Date.now(),
          item.message_id,
        ]);
        await tx.run("UPDATE outbox SET state = 'done', updated_at = ? WHERE message_id = ?", [Date.now(), item.message_id]);
      });
      this.changed(item.conversation_id, item.message_id);
    }
  }

  private async parts(messageId: number): Promise<OutgoingPart[]> {
    const message = await this.db.get<{ text: string | null }>('SELECT text FROM messages WHERE id = ?', [messageId]);
    const files = await this.db.all<{ name: string | null; content_type: string | null; data: Buffer | null; type: string }>(
      "SELECT name, content_type, data, type FROM attachments WHERE message_id = ? AND state = 'stored' ORDER BY id",
      [messageId],
    );
    const parts: OutgoingPart[] = files
      .filter((f) => f.data)
      .map((f) => ({
        file: {
          data: f.data!,
          contentType: f.content_type ?? 'application/octet-stream',
          name: f.name ?? 'file',
          type: (['image', 'audio', 'video'].includes(f.type) ? f.type : 'file') as 'image' | 'audio' | 'video' | 'file',
        },
      }));
    if (message?.text) for (const text of splitText(message.text)) parts.push({ text });
    return parts;
  }

  private async deliver(
    item: DueItem,
    graph: NonNullable<ReturnType<typeof graphClient>>,
    humanAgent: boolean,
    token?: string,
  ): Promise<'ok' | 'stop'> {
    const claimed = await this.db.run(
      "UPDATE outbox SET state = 'sending', attempts = attempts + 1, attempt_started_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
      [Date.now(), Date.now(), item.id],
    );
    if (claimed.changes === 0) return 'ok';
    const target = await this.db.get<{ psid: string; last_inbound_at: number | null; sent_by: SentBy; status: string }>(
      `SELECT k.psid, c.last_inbound_at, m.sent_by, m.status FROM messages m
       JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id WHERE m.id = ?`,
      [item.message_id],
    );
    if (!target) {
      await this.db.run("UPDATE outbox SET state = 'done' WHERE id = ?", [item.id]);
      return 'ok';
    }
    // Decided at send time: a retry after hours must not go out as RESPONSE.
    const window = decideWindow({ lastInboundAt: target.last_inbound_at, sentBy: target.sent_by, humanAgentEnabled: humanAgent });
    if (!window.ok) {
      await this.fail(item, window.code, window.reason);
      return 'ok';
    }
    const parts = await this.parts(item.message_id);
    const fresh = await this.db.get<{ parts_sent: number; state: string }>('SELECT parts_sent, state FROM outbox WHERE id = ?', [
      item.id,
    ]);
    for (let i = fresh?.parts_sent ?? item.parts_sent; i < parts.length; i++) {
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
        await this.db.transaction(async (tx) => {
          await tx.run('UPDATE outbox SET parts_sent = MAX(parts_sent, ?), updated_at = ? WHERE id = ?', [
            i + 1,
            Date.now(),
            item.id,
          ]);
          await tx.run('UPDATE messages SET mid = COALESCE(mid, ?), sent_at = COALESCE(sent_at, ?) WHERE id = ?', [
            mid,
            requestedAt,
            item.message_id,
          ]);
        });
      } catch (err) {
        if (!(err instanceof GraphError)) throw err;
        return this.handleError(item, err, token);
      }
    }
    await this.db.transaction(async (tx) => {
      await tx.run("UPDATE outbox SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?", [Date.now(), item.id]);
      await tx.run(
        "UPDATE messages SET status = 'sent', error_code = NULL, error_message = NULL WHERE id = ? AND status IN ('queued', 'failed')",
        [item.message_id],
      );
      await setSetting(tx, 'messenger.last_send_at', String(Date.now()));
    });
    this.changed(item.conversation_id, item.message_id);
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
        await markTokenInvalid(this.db, token, err.message);
        await this.db.run("UPDATE outbox SET state = 'held', last_error = ? WHERE id = ?", [err.message, item.id]);
        await this.db.run("UPDATE outbox SET state = 'held' WHERE state = 'pending'");
        return 'stop';
      case 'transient': {
        const attempts = item.attempts + 1;
        if (attempts >= MAX_SEND_ATTEMPTS) {
          await this.fail(item, 'meta-unavailable', `Meta kept failing (${err.message}). Try again later.`);
          return 'ok';
        }
        await this.db.run(
          "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?",
          [Date.now() + backoffMs(attempts, 2000, 10 * 60 * 1000), err.message, Date.now(), item.id],
        );
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
    await this.db.transaction(async (tx) => {
      await tx.run("UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?", [
        message,
        Date.now(),
        item.id,
      ]);
      await tx.run("UPDATE messages SET status = 'failed', error_code = ?, error_message = ? WHERE id = ?", [
        code,
        message,
        item.message_id,
      ]);
    });
    this.changed(item.conversation_id, item.message_id);
  }
}
