// The public privacy page (filled from Settings and from what this install really does) and the
// owner's privacy centre: where the key lives, deletion requests and the audit log.
import { Router } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import type { Deps } from '../deps';
import { getBusinessProfile } from '../settings/store';
import { recentAudit } from './audit';

export function privacyRouter(deps: Deps): Router {
  const { db, config, databaseKey } = deps;
  const router = Router();

  router.get('/privacy', async (_req, res) => {
    const profile = await getBusinessProfile(db);
    res.render('privacy/policy', {
      title: 'Privacy policy',
      profile,
      // The policy only promises what this install does: AI sharing is named only when AI is on.
      aiProvider: config.ai.mode === 'off' ? undefined : config.ai.provider === 'openai' ? 'OpenAI' : 'Anthropic',
      https: config.publicUrl.startsWith('https:'),
      publicUrl: config.publicUrl,
      updated: new Date().toISOString().slice(0, 10),
    });
  });

  router.get('/privacy/manage', requireUser, requireOwner, async (_req, res) => {
    const requests = await db.all<{
      code: string;
      status: string;
      requested_at: number;
      deadline: number;
      done_at: number | null;
      source: string;
    }>(
      'SELECT code, status, requested_at, deadline, done_at, source FROM deletion_requests ORDER BY requested_at DESC LIMIT 100',
    );
    res.render('privacy/manage', {
      title: 'Privacy',
      nav: 'privacy',
      key: { source: databaseKey.source, file: databaseKey.file },
      requests,
      auditLog: await recentAudit(db, 50),
    });
  });

  return router;
}
