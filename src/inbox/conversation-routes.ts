// A conversation's page: the messages, each outgoing one with its status, and the composer.
import { Router, type Response } from 'express';
import multer from 'multer';
import { requireUser, uploadCsrf } from '../auth/middleware';
import { AppError, notFound } from '../core/errors';
import type { Deps } from '../deps';
import { channelState } from '../messenger/channel';
import { MAX_FILE_BYTES, queueMessage, retryMessage } from '../messenger/outbox';
import { decideWindow } from '../messenger/window';
import { getConversation, listMessages } from './messages';
import { displayName } from './threads';

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_FILE_BYTES, files: 10, fields: 20 } });

function id(value: unknown): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
  return n;
}

export function conversationRouter(deps: Deps): Router {
  const { db, config, bus, outbox } = deps;
  const router = Router();
  router.use('/conversations', requireUser);

  async function render(res: Response, conversationId: number, extra: { error?: string; draft?: string } = {}, status = 200) {
    const conversation = await getConversation(db, conversationId);
    if (!conversation) throw notFound('That conversation does not exist.');
    const state = await channelState(db, config);
    const window = decideWindow({ lastInboundAt: conversation.last_inbound_at, sentBy: 'user', humanAgentEnabled: state.humanAgentEnabled });
    res.status(status).render('inbox/conversation', {
      title: displayName({ name: conversation.contact_name, psid: conversation.psid }),
      nav: 'inbox',
      conversation,
      contactName: displayName({ name: conversation.contact_name, psid: conversation.psid }),
      messages: await listMessages(db, conversationId, { includeNotes: true }),
      window,
      channel: state,
      error: extra.error,
      draft: extra.draft ?? '',
    });
  }

  router.get('/conversations/:id', async (req, res) => {
    const conversationId = id(req.params.id);
    await render(res, conversationId);
    // Opening the conversation reads it.
    const { changes } = await db.run('UPDATE conversations SET unread_count = 0 WHERE id = ? AND unread_count > 0', [conversationId]);
    if (changes) bus.emit('conversation', { conversationId });
  });

  router.post('/conversations/:id/messages', upload.array('files', 10), uploadCsrf, async (req, res) => {
    const conversationId = id(req.params.id);
    const text = typeof req.body?.text === 'string' ? (req.body.text as string) : '';
    const files = ((req.files as Express.Multer.File[] | undefined) ?? []).map((f) => ({
      name: f.originalname,
      contentType: f.mimetype || 'application/octet-stream',
      data: f.buffer,
    }));
    try {
      const queued = await queueMessage(db, config, { conversationId, text, files, sentBy: 'user', userId: req.session?.user.id });
      bus.emit('message', { conversationId, messageId: queued.id, change: 'created' });
      bus.emit('conversation', { conversationId });
      void outbox.kick();
    } catch (err) {
      if (err instanceof AppError && err.status < 500 && err.status !== 404) {
        return render(res, conversationId, { error: err.message, draft: text }, err.status);
      }
      throw err;
    }
    res.redirect(303, `/conversations/${conversationId}#composer`);
  });

  router.post('/conversations/:id/messages/:messageId/retry', async (req, res) => {
    const conversationId = id(req.params.id);
    await retryMessage(db, id(req.params.messageId));
    bus.emit('message', { conversationId, messageId: id(req.params.messageId), change: 'updated' });
    void outbox.kick();
    res.redirect(303, `/conversations/${conversationId}`);
  });

  return router;
}
