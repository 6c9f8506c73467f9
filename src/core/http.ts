// HTTP helpers shared by every router: content negotiation, the 404 and error handlers.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, notFound } from './errors';
import { log } from './log';

/** API paths and clients that ask for JSON get JSON errors; browsers get pages. */
export function wantsJson(req: Request): boolean {
  // originalUrl, not path: inside a mounted router path is relative to the mount point.
  const url = req.originalUrl;
  if (url.startsWith('/api/') || url.startsWith('/webhooks/')) return true;
  return req.accepts(['html', 'json']) === 'json';
}

export const notFoundHandler: RequestHandler = () => {
  throw new AppError(404, 'not-found', 'There is nothing at this address.');
};

/** Turns body-parser's own errors (bad JSON, too large) into AppErrors with stable codes. */
function normalize(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'malformed-json', 'The request body is not valid JSON.');
  if (e?.type === 'entity.too.large') return new AppError(413, 'body-too-large', 'The request body is too large.');
  if (e?.type === 'request.aborted') return new AppError(400, 'request-aborted', 'The request was aborted.');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError(e.status, 'bad-request', 'The request could not be understood.');
  }
  return undefined;
}

/** The one error handler, mounted last. Unknown errors are logged in full and shown as a plain 500. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = normalize(err);
  const error = known ?? new AppError(500, 'internal-error', 'Something went wrong on our side. It has been logged.');
  if (!known) log.error('unhandled error', { method: req.method, path: req.path, error: (err as Error)?.stack ?? String(err) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status);
  if (wantsJson(req)) {
    res.json({ error: { code: error.code, message: error.message, ...(error.details ?? {}) } });
    return;
  }
  res.render('errors/error', { title: titleFor(error.status), error }, (renderErr, html) => {
    if (renderErr) {
      log.error('error page failed to render', { error: renderErr.message });
      res.type('text/plain').send(`${error.status} ${error.message}`);
      return;
    }
    res.send(html);
  });
};

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 403) return 'Not allowed';
  if (status === 401) return 'Sign in needed';
  if (status === 429) return 'Slow down';
  if (status >= 500) return 'Something went wrong';
  return 'That did not work';
}

/** A positive whole-number id from the URL; anything else is a 404 (there is nothing at that address). */
export function routeId(value: unknown): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
  return n;
}
