// Meta's webhook: the verify handshake (GET) and events (POST). The POST answers 200 only after
// every event of the body is committed in one transaction; profile lookups, attachment downloads
// and outbox work start after the answer, never before it (PROTOCOL.md §A).
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router } from 'express';
import type { Deps } from '../deps';
import { AppError } from '../core/errors';
import { log } from '../core/log';
import { verifyToken } from '../settings/store';
import { channelState, type ChannelState } from './channel';
import type { WebhookBody } from './ingest';
import { validSignature } from './signature';

/** Meta batches up to 1,000 updates per POST; a few MB is plenty. */
export const WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

/** What the webhook answers; the same for the Express route and the server's fast path. */
interface WebhookAnswer {
  status: number;
  text?: string;
  error?: AppError;
  /** Runs after the answer is sent: live updates and the network work the events asked for. */
  after?: () => void;
}

/**
 * Accepts one POSTed body: checks the signature over the raw bytes, parses, and commits every event
 * (group commit) before answering 200. No network call happens before the answer.
 */
export function webhookAcceptor(deps: Deps): (raw: Buffer, signature: string | undefined) => Promise<WebhookAnswer> {
  const { db, config, bus, queue } = deps;
  // The secret is read on every POST; a short cache keeps that off the database at high rates.
  let cached: { state: ChannelState; at: number } | undefined;
  async function channel(): Promise<ChannelState> {
    if (!cached || Date.now() - cached.at > 2000) cached = { state: await channelState(db, config), at: Date.now() };
    return cached.state;
  }
  return async (raw, signature) => {
    const state = await channel();
    if (!validSignature(raw, signature, state.appSecret)) {
      if (!state.appSecret) log.warn('webhook refused: no app secret to check signatures with (set FB_APP_SECRET)');
      return {
        status: 403,
        error: new AppError(403, 'invalid-signature', 'The X-Hub-Signature-256 header is missing or wrong.'),
      };
    }
    let body: WebhookBody;
    try {
      body = JSON.parse(raw.toString('utf8')) as WebhookBody;
    } catch {
      return { status: 400, error: new AppError(400, 'malformed-json', 'The request body is not valid JSON.') };
    }
    if (body?.object !== 'page' || !Array.isArray(body.entry)) {
      // Not a Page event (another product of the same app): acknowledge, store nothing.
      log.info('webhook ignored a non-page object', { object: String(body?.object) });
      return { status: 200, text: 'IGNORED' };
    }
    const result = await deps.ingest.submit(body, state.appId);
    return {
      status: 200,
      text: 'EVENT_RECEIVED',
      after: () => {
        for (const m of result.messages) bus.emit('message', m);
        for (const conversationId of result.conversations) bus.emit('conversation', { conversationId });
        if (result.jobs) void queue.kick();
      },
    };
  };
}

/**
 * The hot path in front of Express: Meta may POST thousands of events a second, and Express's
 * per-request machinery costs more than the work itself. Handles exactly POST /webhooks/messenger
 * and returns true; everything else (and the verify GET) goes to the app.
 */
export function webhookFastPath(deps: Deps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const accept = webhookAcceptor(deps);
  const send = (res: ServerResponse, answer: WebhookAnswer) => {
    if (answer.error) {
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: answer.error.code, message: answer.error.message } }));
    } else {
      res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(answer.text);
    }
    answer.after?.();
  };
  return (req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/webhooks/messenger') return false;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > WEBHOOK_BODY_BYTES && !refused) {
        refused = true;
        send(res, { status: 413, error: new AppError(413, 'body-too-large', 'The request body is too large.') });
        req.resume();
      } else if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      accept(Buffer.concat(chunks), req.headers['x-hub-signature-256'] as string | undefined).then(
        (answer) => send(res, answer),
        (err: Error) => {
          log.error('webhook failed', { error: err.stack ?? err.message });
          send(res, {
            status: 500,
            error: new AppError(500, 'internal-error', 'Something went wrong on our side. It has been logged.'),
          });
        },
      );
    });
    req.on('error', () => res.destroy());
    return true;
  };
}

export function webhookRouter(deps: Deps): Router {
  const { db, config } = deps;
  const router = Router();
  const accept = webhookAcceptor(deps);

  router.get('/webhooks/messenger', async (req, res) => {
    const token = await verifyToken(db, config.fb.verifyToken);
    const q = req.query as Record<string, string | undefined>;
    if (q['hub.mode'] === 'subscribe' && q['hub.verify_token'] === token && typeof q['hub.challenge'] === 'string') {
      log.info('webhook verified by Meta');
      res.type('text/plain').send(q['hub.challenge']);
      return;
    }
    res.status(403).type('text/plain').send('Forbidden');
  });

  router.post('/webhooks/messenger', express.raw({ type: () => true, limit: WEBHOOK_BODY_BYTES }), async (req, res) => {
    const answer = await accept(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('x-hub-signature-256'));
    if (answer.error) throw answer.error;
    res.status(answer.status).type('text/plain').send(answer.text);
    answer.after?.();
  });

  return router;
}
