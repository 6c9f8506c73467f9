// HTTP helpers shared by every router: content negotiation, the 404 and error handlers, loading
// the entity a route names, and forms that re-render themselves with the person's mistake.
import type { ErrorRequestHandler, Request, RequestHandler, Router } from 'express';
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
  if (!known)
    log.error('unhandled error', {
      requestId: res.getHeader('x-request-id'),
      method: req.method,
      path: req.path,
      error: (err as Error)?.stack ?? String(err),
    });
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

/**
 * Loads the entity that route parameter `param` names, once per request (router.param): an id that
 * is not a positive whole number, or names nothing, is a 404 with `missing` as its message. Returns
 * how a handler reads what was loaded for its request.
 */
export function routeEntity<T>(
  router: Router,
  param: string,
  load: (id: number) => Promise<T | undefined>,
  missing: string,
): (req: Request) => T {
  const loaded = new WeakMap<Request, T>();
  router.param(param, async (req, _res, next, value) => {
    const entity = await load(routeId(value));
    if (entity === undefined) throw notFound(missing);
    loaded.set(req, entity);
    next();
  });
  return (req) => {
    const entity = loaded.get(req);
    if (entity === undefined) throw new Error(`route parameter :${param} was not loaded`);
    return entity;
  };
}

/**
 * Runs a form's action (which ends with its redirect). A mistake the person can fix (an AppError of
 * 400–499 other than 404: a missing thing is the error page) re-renders the form with its message.
 */
export async function formAction(action: () => Promise<unknown>, rerender: (error: AppError) => unknown): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof AppError && err.status >= 400 && err.status < 500 && err.status !== 404) {
      await rerender(err);
      return;
    }
    throw err;
  }
}
