// POST /webhooks/messenger/data-deletion: Meta's data-deletion callback. A verified request is
// recorded (privacy/deletions.ts) and answered with its status page and confirmation code; a bad
// signature, algorithm or encoding is a 400 and records nothing (docs/messenger.md, Data-deletion callback).
import express, { Router } from 'express';
import { AppError } from '../core/errors';
import { log } from '../core/log';
import type { Deps } from '../deps';
import { parseSignedRequest } from './data-deletion';

export function dataDeletionCallbackRouter(deps: Deps): Router {
  const router = Router();
  router.post(
    '/webhooks/messenger/data-deletion',
    // Mounted before the app's body parsers and CSRF check: Meta posts a small form, no cookie.
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 }),
    async (req, res) => {
      const { appSecret } = await deps.channel.state();
      if (!appSecret)
        throw new AppError(400, 'not-configured', 'The app secret is not set, so no signed request can be verified.');
      const { userId } = parseSignedRequest((req.body as Record<string, unknown> | undefined)?.signed_request, appSecret);
      const request = await deps.deletions.fromMeta(userId);
      log.info('data-deletion request from Meta', { code: request.code, status: request.status });
      res.json({ url: deps.deletions.statusUrl(request.code), confirmation_code: request.code });
    },
  );
  return router;
}
