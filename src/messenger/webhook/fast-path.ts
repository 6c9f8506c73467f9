// The webhook's hot path in front of Express: Meta may POST thousands of events a second, and
// Express's per-request machinery costs more than the work itself. It handles exactly
// POST /webhooks/messenger and returns true; everything else (the verify GET too) goes to the app.
// What every request gets (request id, security headers, the debug request log) it gets here too,
// from the same RequestBasics the app uses (core/every-request.ts), sent with the answer's one
// writeHead; the body limit is the route's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../core/errors';
import type { RequestBasics } from '../../core/every-request';
import { log } from '../../core/log';
import { runAfter, WEBHOOK_BODY_BYTES, webhookAcceptor, type WebhookAnswer, type WebhookServices } from './accept';

export function webhookFastPath(
  services: WebhookServices,
  basics: RequestBasics,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const accept = webhookAcceptor(services);
  const json = { ...basics.headers, 'content-type': 'application/json; charset=utf-8' };
  const text = { ...basics.headers, 'content-type': 'text/plain; charset=utf-8' };
  const send = (res: ServerResponse, id: string, answer: WebhookAnswer) => {
    if (answer.error) {
      res.writeHead(answer.status, { ...json, 'x-request-id': id });
      res.end(JSON.stringify({ error: { code: answer.error.code, message: answer.error.message } }));
    } else {
      res.writeHead(answer.status, { ...text, 'x-request-id': id });
      res.end(answer.text);
    }
    runAfter(answer);
  };
  return (req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/webhooks/messenger') return false;
    const id = basics.begin(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > WEBHOOK_BODY_BYTES && !refused) {
        refused = true;
        send(res, id, { status: 413, error: new AppError(413, 'body-too-large', 'The request body is too large.') });
        req.resume();
      } else if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      accept(Buffer.concat(chunks), req.headers['x-hub-signature-256'] as string | undefined).then(
        (answer) => send(res, id, answer),
        (err: Error) => {
          log.error('webhook failed', { requestId: id, error: err.stack ?? err.message });
          send(res, id, {
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
