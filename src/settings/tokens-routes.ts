// API tokens, managed by the owner: created in Settings with a name, a role and an optional expiry
// (the token is shown once, on the page that answers the form), revoked from the same list. The
// owner-only GET /api/v1/tokens lists them for software holding an owner token.
import { Router, type Request } from 'express';
import { createApiToken, listApiTokens, revokeApiToken, tokenStatus, TOKEN_TTLS } from '../auth/api-tokens';
import { actorOf, requireOwner, requireUser } from '../auth/middleware';
import { isRole } from '../auth/users';
import { badRequest } from '../core/errors';
import { formAction, routeId } from '../core/http';
import type { Deps } from '../deps';
import { audit } from '../privacy/audit';
import { renderSettings } from './routes';
import { getBusinessProfile } from './store';

export function tokensRouter(deps: Deps): Router {
  const { db } = deps;
  const router = Router();
  router.use('/settings/tokens', requireUser, requireOwner);

  const field = (req: Request, name: string) => {
    const value = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };
  const actor = (req: Request) => ({ actorUserId: req.session?.user.id, actor: req.session?.user.email ?? 'token', ip: req.ip });

  router.post('/settings/tokens', async (req, res) => {
    const name = field(req, 'name').trim();
    const role = field(req, 'role') || 'staff';
    const expires = field(req, 'expires') || 'never';
    await formAction(
      async () => {
        if (!isRole(role)) throw badRequest('invalid-role', 'Choose owner or staff.');
        if (!(expires in TOKEN_TTLS)) throw badRequest('invalid-expiry', 'Choose when the token expires.');
        const ttl = TOKEN_TTLS[expires];
        const { token } = await createApiToken(db, {
          name,
          role,
          expiresAt: ttl === undefined ? undefined : Date.now() + ttl,
          createdBy: req.session!.user.id,
        });
        await audit(db, { ...actor(req), action: 'api-token.created', target: name, detail: { role, expires } });
        // Shown on this answer and nowhere else; not cached by anything in between.
        res.set('Cache-Control', 'no-store');
        await renderSettings(deps, res, await getBusinessProfile(db), {}, false, { tokens: { created: { name, token } } });
      },
      async (err) =>
        renderSettings(deps, res, await getBusinessProfile(db), {}, false, {
          status: err.status,
          tokens: { error: err.message, draft: { name, role } },
        }),
    );
  });

  router.post('/settings/tokens/:id/revoke', async (req, res) => {
    const token = await revokeApiToken(db, { id: routeId(req.params.id) });
    await audit(db, { ...actor(req), action: 'api-token.revoked', target: token.name, detail: { id: token.id } });
    await renderSettings(deps, res, await getBusinessProfile(db), {}, false, { tokens: { revoked: token.name } });
  });

  // For software with an owner token: the tokens there are, never their secrets.
  router.get('/api/v1/tokens', requireOwner, async (req, res) => {
    const tokens = await listApiTokens(db);
    const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);
    res.json({
      data: tokens.map((t) => ({
        id: t.id,
        name: t.name,
        role: t.role,
        status: tokenStatus(t),
        created_at: iso(t.created_at),
        last_used_at: iso(t.last_used_at),
        expires_at: iso(t.expires_at),
      })),
      you: actorOf(req)?.kind === 'token' ? actorOf(req)!.id : undefined,
    });
  });

  return router;
}
