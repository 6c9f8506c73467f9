// createApp(deps): middleware, static files, every router, then the 404 and error handlers.
// It never listens: server.ts does, and tests drive it with supertest.
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { bearerMiddleware, csrfProtection, requireUser, sessionMiddleware } from './auth/middleware';
import { authRouter } from './auth/routes';
import { usersRouter } from './auth/users-routes';
import { formatters, timeLeft, windowState } from './core/format';
import { filterQuery } from './inbox/list';
import { healthHandler } from './core/health';
import { errorHandler, notFoundHandler } from './core/http';
import { crmRouter } from './crm/routes';
import type { Deps } from './deps';
import { apiRouter } from './inbox/api-routes';
import { cannedRouter } from './inbox/canned-routes';
import { conversationRouter } from './inbox/conversation-routes';
import { inboxRouter } from './inbox/routes';
import { searchRouter } from './inbox/search-routes';
import { simulatorRouter } from './messenger/simulator-routes';
import { webhookRouter } from './messenger/webhook-routes';
import { channelState } from './messenger/channel';
import { privacyRouter } from './privacy/routes';
import { settingsRouter } from './settings/routes';

export const ROOT = path.resolve(__dirname, '..');

export function createApp(deps: Deps): Express {
  const { config, db } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', path.join(ROOT, 'views'));
  app.set('view cache', !config.development);
  app.locals.fmt = formatters(config.tz);
  app.locals.windowState = windowState;
  app.locals.timeLeft = timeLeft;
  app.locals.filterQuery = filterQuery;
  // The live stream renders the same partials the pages include.
  deps.live.attach(
    (view, locals) =>
      new Promise((resolve, reject) => app.render(view, locals, (err, html) => (err ? reject(err) : resolve(html)))),
  );

  const https = config.publicUrl.startsWith('https:');
  // First: Meta's webhook is the hot path (thousands of POSTs a second under load). It needs no
  // page security headers, and it must read the raw bytes before any body parser (the signature).
  app.use(webhookRouter(deps));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          // Only over https: on a plain-http LAN this would break every asset.
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600 } : false,
      crossOriginEmbedderPolicy: false,
    }),
  );

  app.use('/static', express.static(path.join(ROOT, 'public'), { maxAge: '1h', index: false }));
  app.get('/healthz', healthHandler(db));

  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(express.json({ limit: '1mb' }));
  app.use(sessionMiddleware(db, config.secureCookies));
  // The JSON API takes a bearer token (or the browser session); nothing under it is public.
  app.use('/api/v1', bearerMiddleware(db), requireUser);
  app.use(csrfProtection);
  app.use(async (req, res, next) => {
    res.locals.path = req.path;
    res.locals.nav = '';
    res.locals.keyBesideData = deps.databaseKey.source === 'generated';
    res.locals.sandbox = !config.fb.pageAccessToken;
    res.locals.tokenInvalid = false;
    if (req.session && !req.path.startsWith('/api/')) {
      // The layout shows sandbox mode and a broken Page token on every page.
      const channel = await channelState(db, config);
      res.locals.sandbox = channel.sandbox;
      res.locals.tokenInvalid = channel.tokenState === 'invalid';
    }
    next();
  });

  app.use(apiRouter(deps));
  app.use(authRouter(deps));
  app.use(usersRouter(deps));
  app.use(inboxRouter(deps));
  app.use(conversationRouter(deps));
  app.use(searchRouter(deps));
  app.use(cannedRouter(deps));
  app.use(crmRouter(deps));
  app.use(simulatorRouter(deps));
  app.use(settingsRouter(deps));
  app.use(privacyRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
