// The owner's Settings page: the business profile (used by the privacy page), the Messenger
// connection details to paste into Meta's dashboard, AI status, and where the database key lives.
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import type { Deps } from '../deps';
import { audit } from '../privacy/audit';
import { getBusinessProfile, saveBusinessProfile, verifyToken, type BusinessProfile } from './store';
import { validateBusinessProfile } from './validate';

export function settingsRouter(deps: Deps): Router {
  const { db, config, databaseKey } = deps;
  const router = Router();
  router.use('/settings', requireUser, requireOwner);

  async function render(res: Response, profile: BusinessProfile, problems: Record<string, string> = {}, saved = false) {
    res.status(Object.keys(problems).length ? 400 : 200).render('settings/index', {
      title: 'Settings',
      profile,
      problems,
      saved,
      messenger: {
        webhookUrl: `${config.publicUrl}/webhooks/messenger`,
        deletionCallbackUrl: `${config.publicUrl}/webhooks/messenger/data-deletion`,
        verifyToken: await verifyToken(db, config.fb.verifyToken),
        verifyTokenFromEnv: Boolean(config.fb.verifyToken),
        pageId: config.fb.pageId,
        sandbox: !config.fb.pageAccessToken,
        appSecretSet: Boolean(config.fb.appSecret),
      },
      ai: { provider: config.ai.provider, mode: config.ai.mode, model: config.ai.model },
      key: { source: databaseKey.source, file: databaseKey.file, dataDir: config.dataDir },
    });
  }

  router.get('/settings', async (req: Request, res: Response) => {
    await render(res, await getBusinessProfile(db), {}, req.query.saved === '1');
  });

  router.post('/settings/business', async (req, res) => {
    const { profile, problems } = validateBusinessProfile(req.body as Record<string, unknown>);
    if (Object.keys(problems).length) return render(res, profile, problems);
    await saveBusinessProfile(db, profile);
    await audit(db, { actorUserId: req.session?.user.id, actor: req.session?.user.email ?? 'token', action: 'settings.business-saved', ip: req.ip });
    res.redirect(303, '/settings?saved=1');
  });

  return router;
}
