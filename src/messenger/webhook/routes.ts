// Meta's webhook on Express: the verify handshake (GET; docs/messenger.md, Webhook verification) and
// events (POST). Under load the POST is answered by the fast path in front of Express instead
// (fast-path.ts); both use the same acceptor.
import express, { Router } from 'express';
import type { Deps } from '../../deps';
import { log } from '../../core/log';
import { runAfter, WEBHOOK_BODY_BYTES, webhookAcceptor } from './accept';

export function webhookRouter(deps: Deps): Router {
  const router = Router();
  const accept = webhookAcceptor(deps);

  router.get('/webhooks/messenger', async (req, res) => {
    const { verifyToken } = await deps.channel.state();
    const q = req.query as Record<string, string | undefined>;
    if (
      q['hub.mode'] === 'subscribe' &&
      verifyToken &&
      q['hub.verify_token'] === verifyToken &&
      typeof q['hub.challenge'] === 'string'
    ) {
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
    runAfter(answer);
  });

  return router;
}
