// /simulator: the owner writes as a made-up customer (text and files) in sandbox mode and watches
// the conversation from the customer's side, replies included.
import type { AddressInfo } from 'node:net';
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { uploads } from '../auth/uploads';
import { AppError } from '../core/errors';
import { clip } from '../core/format';
import { listMessages } from '../conversations/queries';
import { findThread } from '../conversations/threads';
import type { Deps } from '../deps';
import { buildSimulatedEvent, deliverToWebhook, simulatedPsid } from './simulator';

/** Our own address as this request reached it: the Simulator calls the webhook over loopback HTTP. */
function ownBaseUrl(req: Request): string {
  const { address, port } = req.socket.address() as AddressInfo;
  const host = address === '::' || address === '0.0.0.0' || !address ? '127.0.0.1' : address.replace(/^::ffff:/, '');
  return `http://${host.includes(':') ? `[${host}]` : host}:${port ?? req.socket.localPort}`;
}

export function simulatorRouter(deps: Deps): Router {
  const { db, channel } = deps;
  const router = Router();

  async function customerView(name: string | undefined) {
    if (!name) return { name: '', messages: [] };
    const state = await channel.state();
    const thread = await findThread(db, state.pageId, simulatedPsid(name));
    return {
      name,
      messages: thread ? await listMessages(db, thread.conversationId) : [],
      conversationId: thread?.conversationId,
    };
  }

  async function render(req: Request, res: Response, extra: { error?: string; name?: string } = {}, status = 200) {
    const state = await channel.state();
    const asked = extra.name ?? (typeof req.query.name === 'string' ? clip(req.query.name, 80) : '');
    const customers = await db.all<{ name: string }>(
      "SELECT k.name FROM contacts k WHERE k.psid LIKE '9%' AND length(k.psid) = 16 AND k.name IS NOT NULL ORDER BY k.updated_at DESC LIMIT 20",
    );
    // The name field and the phone always show the same customer: the one asked for, else the latest.
    const name = asked || customers[0]?.name || 'Alex Rivera';
    res.status(status).render('messenger/simulator', {
      title: 'Simulator',
      nav: 'simulator',
      sandbox: state.sandbox,
      customers: customers.map((c) => c.name),
      customer: await customerView(name),
      name,
      error: extra.error,
    });
  }

  router.get('/simulator', requireUser, requireOwner, (req, res) => render(req, res));

  // htmx polls this every two seconds: the customer's side of the conversation.
  router.get('/simulator/thread', requireUser, requireOwner, async (req, res) => {
    const name = typeof req.query.name === 'string' ? clip(req.query.name, 80) : '';
    res.render('messenger/_phone', { customer: await customerView(name || undefined) });
  });

  router.post('/simulator', requireUser, requireOwner, uploads('file', 1), async (req, res) => {
    const state = await channel.state();
    if (!state.sandbox) throw new AppError(409, 'not-sandbox', 'The Simulator only works in sandbox mode (no Page token set).');
    const name = clip(String(req.body?.name ?? '').trim(), 80);
    const text = String(req.body?.text ?? '').trim();
    const upload = (req.files as Express.Multer.File[] | undefined)?.[0];
    const file = upload
      ? { name: upload.originalname, contentType: upload.mimetype || 'application/octet-stream', data: upload.buffer }
      : undefined;
    if (!name) return render(req, res, { error: 'Give the customer a name.', name }, 400);
    if (!text && !file) return render(req, res, { error: 'Write a message or attach a file.', name }, 400);
    const base = ownBaseUrl(req);
    const { body } = await buildSimulatedEvent(db, { pageId: state.pageId, name, text: text || undefined, file });
    const status = await deliverToWebhook(base, body, state.appSecret!);
    if (status !== 200) throw new AppError(502, 'simulator-webhook-failed', `The webhook answered ${status}.`);
    res.redirect(303, `/simulator?name=${encodeURIComponent(name)}`);
  });

  return router;
}
