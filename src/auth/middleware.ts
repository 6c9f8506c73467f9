// Who is asking, and may they: the session cookie (browsers), bearer tokens (/api/v1), CSRF, roles.
import crypto from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../core/db';
import { AppError, forbidden, unauthorized } from '../core/errors';
import { wantsJson } from '../core/http';
import { findApiToken, type ApiToken } from './api-tokens';
import { loadSession, type Session } from './sessions';

export const SESSION_COOKIE = 'chatx_session';
export const CSRF_COOKIE = 'chatx_csrf';

declare module 'express-serve-static-core' {
  interface Request {
    session?: Session;
    apiToken?: ApiToken;
    csrfToken?: string;
  }
}

export function cookieOptions(secure: boolean, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

/** Loads the session (if any) and decides the CSRF token this page's forms must carry. */
export function sessionMiddleware(db: Db, secureCookies: boolean): RequestHandler {
  return async (req, res, next) => {
    const token = req.cookies?.[SESSION_COOKIE];
    if (typeof token === 'string' && token !== '') {
      req.session = await loadSession(db, token);
      if (!req.session) res.clearCookie(SESSION_COOKIE, cookieOptions(secureCookies));
    }
    if (req.session) {
      req.csrfToken = req.session.csrfToken;
    } else {
      // Before sign-in (setup, login, invitation) the token lives in its own cookie.
      let pre = req.cookies?.[CSRF_COOKIE];
      if (typeof pre !== 'string' || pre.length < 20) {
        pre = crypto.randomBytes(24).toString('base64url');
        res.cookie(CSRF_COOKIE, pre, cookieOptions(secureCookies));
      }
      req.csrfToken = pre;
    }
    res.locals.csrfToken = req.csrfToken;
    res.locals.currentUser = req.session?.user;
    next();
  };
}

/** Resolves `Authorization: Bearer` on /api/v1; a bad token is a 401, never a fallback to the cookie. */
export function bearerMiddleware(db: Db): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (!header) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match ? await findApiToken(db, match[1]) : undefined;
    if (!token) throw new AppError(401, 'invalid-token', 'The API token is missing, wrong or revoked.');
    req.apiToken = token;
    next();
  };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Routes that take file uploads. Their multipart bodies are parsed by the route itself, so the
 * `_csrf` field is checked there (uploads.ts: before any file is read) unless the X-CSRF-Token
 * header already carried it.
 */
const UPLOAD_ROUTES = [/^\/conversations\/\d+\/messages$/, /^\/simulator$/, /^\/contacts\/import$/];

/** Whether the request carries this session's CSRF token (the `_csrf` field, or X-CSRF-Token). */
export function csrfValid(req: Request): boolean {
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
  return typeof sent === 'string' && Boolean(req.csrfToken) && same(sent, req.csrfToken!);
}

function checkCsrf(req: Request): void {
  if (!csrfValid(req)) throw new AppError(403, 'csrf-failed', 'This form has expired. Reload the page and try again.');
}

/** Every unsafe request from a browser carries the token as `_csrf` (forms) or `X-CSRF-Token` (htmx). */
export const csrfProtection: RequestHandler = (req, _res, next) => {
  if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || req.apiToken) return next();
  if (req.is('multipart/form-data') && !req.get('x-csrf-token') && UPLOAD_ROUTES.some((r) => r.test(req.path))) return next();
  checkCsrf(req);
  next();
};

export type Actor =
  | { kind: 'user'; id: number; email: string; role: 'owner' | 'staff' }
  | { kind: 'token'; id: number; name: string; role: 'owner' | 'staff' };

export function actorOf(req: Request): Actor | undefined {
  if (req.apiToken) return { kind: 'token', ...req.apiToken };
  if (req.session) return { kind: 'user', id: req.session.user.id, email: req.session.user.email, role: req.session.user.role };
  return undefined;
}

/** Pages redirect to the sign-in page; htmx gets HX-Redirect; JSON gets a 401. */
export const requireUser: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (actorOf(req)) return next();
  if (wantsJson(req)) throw unauthorized();
  const target = `/login?next=${encodeURIComponent(req.originalUrl)}`;
  if (req.get('hx-request')) {
    res.set('HX-Redirect', target).status(401).end();
    return;
  }
  res.redirect(303, target);
};

export const requireOwner: RequestHandler = (req, _res, next) => {
  const actor = actorOf(req);
  if (!actor) throw unauthorized();
  if (actor.role !== 'owner') throw forbidden();
  next();
};
