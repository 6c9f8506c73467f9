// /simulator: the owner writes as a made-up customer (text and files) in sandbox mode and watches
// the conversation from the customer's side, replies included.
import type { AddressInfo } from 'node:net';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { requireOwner, requireUser, uploadCsrf } from '../auth/middleware';
import { AppError, notFound } from '../core/errors';
import { MAX_FILE_BYTES } from '../conversations/outbound';
import { listMessages } from '../conversations/queries';
import { findThread } from '../conversations/threads';
import type { Deps } from '../deps';
import { buildSimulatedEvent, deliverToWebhook, simulatedPsid, takeSimulatorFile } from './simulator';

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 10 } });

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
    const name = extra.name ?? (typeof req.query.name === 'string' ? req.query.name.slice(0, 80) : '');
    const customers = await db.all<{ name: string }>(
      "SELECT k.name FROM contacts k WHERE k.psid LIKE '9%' AND length(k.psid) = 16 AND k.name IS NOT NULL ORDER BY k.updated_at DESC LIMIT 20",
    );
    res.status(status).render('messenger/simulator', {
      title: 'Simulator',
      nav: 'simulator',
      sandbox: state.sandbox,
      customers: customers.map((c) => c.name),
      customer: await customerView(name || undefined),
      name: name || 'Alex Rivera',
      error: extra.error,
    });
  }

  router.get('/simulator', requireUser, requireOwner, (req, res) => render(req, res));

  // htmx polls this every two seconds: the customer's side of the conversation.
  router.get('/simulator/thread', requireUser, requireOwner, async (req, res) => {
    const name = typeof req.query.name === 'string' ? req.query.name.slice(0, 80) : '';
    res.render('messenger/_phone', { customer: await customerView(name || undefined) });
  });

  router.post('/simulator', requireUser, requireOwner, upload.single('file'), uploadCsrf, async (req, res) => {
    const state = await channel.state();
    if (!state.sandbox) throw new AppError(409, 'not-sandbox', 'The Simulator only works in sandbox mode (no Page token set).');
    const name = String(req.body?.name ?? '')
      .trim()
      .slice(0, 80);
    const text = String(req.body?.text ?? '').trim();
    const file = req.file
      ? { name: req.file.originalname, contentType: req.file.mimetype || 'application/octet-stream', data: req.file.buffer }
      : undefined;
    if (!name) return render(req, res, { error: 'Give the customer a name.', name }, 400);
    if (!text && !file) return render(req, res, { error: 'Write a message or attach a file.', name }, 400);
    const base = ownBaseUrl(req);
    const { body } = await buildSimulatedEvent(db, base, { pageId: state.pageId, name, text: text || undefined, file });
    const status = await deliverToWebhook(base, body, state.appSecret!);
    if (status !== 200) throw new AppError(502, 'simulator-webhook-failed', `The webhook answered ${status}.`);
    res.redirect(303, `/simulator?name=${encodeURIComponent(name)}`);
  });

  // The attachment downloader fetches simulated files here, as it would from Meta's CDN.
  router.get('/simulator/files/:token/:name', async (req, res) => {
    const file = await takeSimulatorFile(db, req.params.token);
    if (!file) throw notFound('URL signature expired');
    res.set({
      'Content-Type': file.content_type,
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    });
    res.send(file.data);
  });

  return router;
}
