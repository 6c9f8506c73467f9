// Accepts one POSTed webhook body, the same way for the Express route and the server's fast path:
// checks the signature over the raw bytes, parses, and hands the events to the ingest sink (the
// writer thread), which answers once every event is committed. Only then is the 200 sent; live
// updates and the network work the events asked for start after it, never before
// (docs/messenger.md, Batching, retries, duplicates and order).
import { AppError } from '../../core/errors';
import { log } from '../../core/log';
import type { Health } from '../../core/health';
import type { JobQueue } from '../../core/queue';
import type { Conversations } from '../../conversations/service';
import type { Channel } from '../channel';
import { validSignature } from './signature';
import type { IngestSink } from './sink';
import { cleanBody } from './validate';

/** Meta batches up to 1,000 updates per POST; a few MB is plenty. */
export const WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

/** What the webhook answers. */
export interface WebhookAnswer {
  status: number;
  text?: string;
  error?: AppError;
  /** Runs after the answer is sent: live updates and the network work the events asked for. */
  after?: () => void;
}

/** The answer is sent: what comes after it must not break the request (it is already answered), only be logged. */
export function runAfter(answer: WebhookAnswer): void {
  try {
    answer.after?.();
  } catch (err) {
    log.error('after a webhook answer', { error: (err as Error).stack ?? String(err) });
  }
}

export interface WebhookServices {
  health: Health;
  channel: Channel;
  ingest: IngestSink;
  conversations: Conversations;
  queue: JobQueue;
}

export function webhookAcceptor({ health, channel, ingest, conversations, queue }: WebhookServices) {
  return async (raw: Buffer, signature: string | undefined): Promise<WebhookAnswer> => {
    const state = await channel.state();
    if (!validSignature(raw, signature, state.appSecret)) {
      if (!state.appSecret) log.warn('webhook refused: no app secret to check signatures with (set FB_APP_SECRET)');
      return {
        status: 403,
        error: new AppError(403, 'invalid-signature', 'The X-Hub-Signature-256 header is missing or wrong.'),
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return { status: 400, error: new AppError(400, 'malformed-json', 'The request body is not valid JSON.') };
    }
    const object = (parsed as { object?: unknown } | null)?.object;
    if (object !== 'page' || !Array.isArray((parsed as { entry?: unknown }).entry)) {
      // Not a Page event (another product of the same app): acknowledge, store nothing.
      log.info('webhook ignored a non-page object', { object: String(object).slice(0, 40) });
      return { status: 200, text: 'IGNORED' };
    }
    const { body, dropped } = cleanBody(parsed as Record<string, unknown>, state.ownPageId);
    if (dropped.length) log.info('webhook events dropped', { count: dropped.length, reasons: [...new Set(dropped)].slice(0, 5) });
    const result = await ingest.submit(body, state.appId).catch((err: unknown) => {
      // Nothing was stored (the transaction rolled back): Meta retries on the 5xx. A full disk is the
      // usual cause, so /healthz checks for itself next time instead of trusting its last write.
      health.suspect();
      throw err;
    });
    return {
      status: 200,
      text: 'EVENT_RECEIVED',
      after: () => {
        conversations.announce(result);
        if (result.jobs) void queue.kick();
      },
    };
  };
}
