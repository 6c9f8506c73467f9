// The public privacy page (filled from Settings and from what this install really does) and the
// owner's privacy centre: where the key lives (and how to move it), deletion requests and the audit
// log; and the owner's "dismiss" of the key banner on the other pages.
import { Router } from 'express';
import { usable, type AiSettings } from '../ai/settings';
import { requireOwner, requireUser } from '../auth/middleware';
import { setPrefs } from '../auth/users';
import type { Deps } from '../deps';
import { getBusinessProfile } from '../settings/store';
import { recentAudit } from './audit';
import { listRequests } from './deletion-requests';
import { retentionMonths } from './retention';
import { backupsSection } from './vault-routes';

/** Who receives conversations for AI replies, while AI is on (not off, not paused, set up). */
function aiRecipient(s: AiSettings): string | undefined {
  if (!usable(s) || s.mode === 'off' || s.paused) return undefined;
  if (s.provider === 'anthropic') return 'Anthropic';
  // An OpenAI-compatible server elsewhere (often one of the business's own) is named by its address.
  const host = URL.parse(s.baseUrl ?? '')?.host;
  return host && host !== 'api.openai.com' ? `The AI service at ${host}` : 'OpenAI';
}

export function privacyRouter(deps: Deps): Router {
  const { db, config, databaseKey } = deps;
  const router = Router();

  router.get('/privacy', async (_req, res) => {
    const profile = await getBusinessProfile(db);
    res.render('privacy/policy', {
      title: 'Privacy policy',
      profile,
      // The policy only promises what this install does: AI sharing is named only while AI is on.
      aiProvider: aiRecipient(await deps.assistant.settings()),
      https: config.publicUrl.startsWith('https:'),
      publicUrl: config.publicUrl,
      retentionMonths: await retentionMonths(db),
      updated: new Date().toISOString().slice(0, 10),
    });
  });

  router.get('/privacy/manage', requireUser, requireOwner, async (req, res) => {
    const done = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).slice(0, 20) : undefined);
    res.render('privacy/manage', {
      title: 'Privacy',
      nav: 'privacy',
      key: { source: databaseKey.source, file: databaseKey.file },
      backups: await backupsSection(deps, req.query),
      deletion: {
        requests: await listRequests(db, 100),
        // The request just carried out from this page or a contact's page, to confirm it.
        executed: done('erased') ?? done('executed'),
        bulk: /^\d{1,3}$/.test(done('bulk') ?? '') ? Number(done('bulk')) : undefined,
        now: Date.now(),
        retention: { months: await retentionMonths(db), saved: req.query.retention === 'saved' },
      },
      // The latest few; the full, filterable log is the audit page (audit-routes.ts).
      auditLog: await recentAudit(db, 10),
    });
  });

  // The key banner, dismissed by this owner on every page but the Privacy pages (which keep it).
  router.post('/privacy/key-banner/dismiss', requireUser, requireOwner, async (req, res) => {
    await setPrefs(db, req.session!.user.id, { keyBannerDismissed: true });
    const next = (req.body as Record<string, unknown>).next;
    const local = typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
    res.redirect(303, local);
  });

  return router;
}
