// Meta's webhook: the verify handshake (GET) and events (POST). The POST answers 200 only after
// every event of the body is committed in one transaction; profile lookups, attachment downloads
// and outbox work start after the answer, never before it (PROTOCOL.md §A).
import express, { Router } from 'express';
import type { Deps } from '../deps';
import { AppError } from '../core/errors';
import { log } from '../core/log';
import { verifyToken } from '../settings/store';
import { channelState, type ChannelState } from './channel';
import type { WebhookBody } from './ingest';
import { validSignature } from './signature';

/** Meta batches up to 1,000 updates per POST; a few MB is plenty. */
export const WEBHOOK_BODY_LIMIT = '5mb';

export function webhookRouter(deps: Deps): Router {
  const { db, config, bus, queue } = deps;
  const router = Router();

  // The secret is read on every POST; a short cache keeps that off the database at high rates.
  let cached: { state: ChannelState; at: number } | undefined;
  async function channel(): Promise<ChannelState> {
    if (!cached || Date.now() - cached.at > 2000) cached = { state: await channelState(db, config), at: Date.now() };
    return cached.state;
  }

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

  router.post('/webhooks/messenger', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const state = await channel();
    if (!validSignature(raw, req.get('x-hub-signature-256'), state.appSecret)) {
      if (!state.appSecret) log.warn('webhook refused: no app secret to check signatures with (set FB_APP_SECRET)');
      throw new AppError(403, 'invalid-signature', 'The X-Hub-Signature-256 header is missing or wrong.');
    }
    let body: WebhookBody;
    try {
      body = JSON.parse(raw.toString('utf8')) as WebhookBody;
    } catch {
      throw new AppError(400, 'malformed-json', 'The request body is not valid JSON.');
    }
    if (body?.object !== 'page' || !Array.isArray(body.entry)) {
      // Not a Page event (another product of the same app): acknowledge, store nothing.
      log.info('webhook ignored a non-page object', { object: String(body?.object) });
      res.status(200).send('IGNORED');
      return;
    }
    const result = await deps.ingest.submit(body, state.appId);
    res.status(200).send('EVENT_RECEIVED');
    // After the answer: live updates and the network work the events asked for.
    for (const m of result.messages) bus.emit('message', m);
    for (const conversationId of result.conversations) bus.emit('conversation', { conversationId });
    if (result.jobs) void queue.kick();
  });

  return router;
}
