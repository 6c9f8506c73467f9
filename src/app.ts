// createApp(deps): middleware, static files, every router, then the 404 and error handlers. It
// builds the Express app and nothing else: it starts no timer and opens nothing (services.ts does),
// and it never listens (server.ts does; tests drive it with supertest). Meta's webhook POST is
// normally answered before Express by the server's fast path (messenger/webhook/fast-path.ts); the
// same route is mounted here too, for tests and for a server without the fast path.
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import { aiConversationRouter } from './ai/conversation-routes';
import { aiSettingsRouter } from './ai/routes';
import { bearerMiddleware, csrfProtection, requireUser, sessionMiddleware } from './auth/middleware';
import { authRouter } from './auth/routes';
import { usersRouter } from './auth/users-routes';
import { everyRequest, requestBasics } from './core/every-request';
import { badRequest } from './core/errors';
import { errorHandler, notFoundHandler } from './core/http';
import { webManifest } from './core/manifest';
import { requestHostDiffers } from './core/public-url';
import { contactsApiRouter } from './crm/api-routes';
import { followUpsApiRouter } from './crm/follow-ups-api';
import { followUpsBadge, followUpsRouter } from './crm/follow-ups-routes';
import { dashboardRouter } from './crm/dashboard-routes';
import { leadsApiRouter } from './crm/leads-api-routes';
import { leadsRouter } from './crm/lead-routes';
import { contactsCsvRouter } from './crm/csv-routes';
import { fieldsRouter } from './crm/fields-routes';
import { crmRouter } from './crm/routes';
import type { Deps } from './deps';
import { apiRouter } from './inbox/api-routes';
import { cannedRouter } from './inbox/canned-routes';
import { conversationRouter } from './inbox/conversation-routes';
import { bulkRouter } from './inbox/bulk-routes';
import { inboxRouter } from './inbox/routes';
import { searchRouter } from './inbox/search-routes';
import { dataDeletionCallbackRouter } from './messenger/data-deletion-routes';
import { simulatorRouter } from './messenger/simulator-routes';
import { webhookRouter } from './messenger/webhook/routes';
import { deletionRouter } from './privacy/deletion-routes';
import { auditRouter } from './privacy/audit-routes';
import { exportRouter } from './privacy/export-routes';
import { privacyRouter } from './privacy/routes';
import { vaultRouter } from './privacy/vault-routes';
import { settingsRouter } from './settings/routes';
import { labelsSettingsRouter } from './settings/labels-routes';
import { tokensRouter } from './settings/tokens-routes';
import { ROOT, templateOptions, VIEWS_DIR } from './views';

export function createApp(deps: Deps): Express {
  const { config, db, views } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.set('view cache', !config.development);
  app.set('view options', templateOptions(config));
  Object.assign(app.locals, views.helpers);

  app.use(everyRequest(requestBasics({ https: config.publicUrl.startsWith('https:') })));
  // Before any body parser: the webhook's signature is checked over the raw bytes.
  app.use(webhookRouter(deps));
  app.use(dataDeletionCallbackRouter(deps));

  app.use('/static', express.static(path.join(ROOT, 'public'), { maxAge: '1h', index: false }));
  app.get('/healthz', deps.health.handler());
  app.get('/manifest.webmanifest', webManifest);

  // A query parameter given twice arrives as a list, which no route expects: refused, clearly.
  app.use((req, _res, next) => {
    for (const [name, value] of Object.entries(req.query))
      if (typeof value !== 'string')
        throw badRequest('repeated-query-parameter', `The query parameter "${name.slice(0, 40)}" is given more than once.`);
    next();
  });
  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(express.json({ limit: '1mb' }));
  // Express 5 leaves req.body undefined when no parser took the request (no body, another type):
  // every handler reads a form's fields from an object, present or empty. Uploads set their own.
  app.use((req, _res, next) => {
    req.body ??= {};
    next();
  });
  app.use(sessionMiddleware(db, config.secureCookies));
  // What the layout shows on every page, error pages included: sandbox mode, a refused Page token,
  // the key beside the data (cached: no query), deletion requests coming due.
  app.use(async (req, res, next) => {
    res.locals.path = req.path;
    res.locals.nav = '';
    res.locals.keyBesideData = deps.databaseKey.source === 'generated';
    // The owner is told when PUBLIC_URL names another address than the one this page was opened at.
    if (req.session?.user.role === 'owner') res.locals.publicUrlDiffers = requestHostDiffers(config, req);
    if (!req.path.startsWith('/api/')) Object.assign(res.locals, await views.current());
    // The owner is reminded of deletion requests due within a week (cached: no query on most pages).
    if (req.session?.user.role === 'owner' && !req.path.startsWith('/api/'))
      res.locals.deletionsDue = await deps.deletions.dueSoon();
    next();
  });
  // The navigation's "Due" badge: the signed-in person's follow-ups that came due.
  app.use(followUpsBadge(deps));
  // The JSON API takes a bearer token (or the browser session); nothing under it is public.
  app.use('/api/v1', bearerMiddleware(db), requireUser);
  app.use(csrfProtection);

  app.use(apiRouter(deps));
  app.use(contactsApiRouter(deps));
  app.use(leadsApiRouter(deps));
  app.use(authRouter(deps));
  app.use(usersRouter(deps));
  app.use(inboxRouter(deps));
  app.use(bulkRouter(deps));
  app.use(conversationRouter(deps));
  app.use(aiConversationRouter(deps));
  app.use(searchRouter(deps));
  app.use(cannedRouter(deps));
  // Before crmRouter: /contacts/import is not a contact id.
  app.use(contactsCsvRouter(deps));
  app.use(fieldsRouter(deps));
  app.use(crmRouter(deps));
  app.use(leadsRouter(deps));
  app.use(dashboardRouter(deps));
  app.use(followUpsRouter(deps));
  app.use(followUpsApiRouter(deps));
  app.use(simulatorRouter(deps));
  app.use(settingsRouter(deps));
  app.use(labelsSettingsRouter(deps));
  app.use(aiSettingsRouter(deps));
  app.use(tokensRouter(deps));
  app.use(privacyRouter(deps));
  app.use(vaultRouter(deps));
  app.use(exportRouter(deps));
  app.use(auditRouter(deps));
  app.use(deletionRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
